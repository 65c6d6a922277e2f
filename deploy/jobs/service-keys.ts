/**
 * `node deploy/jobs/service-keys.js <dir>`: each process's Ed25519 service-identity key
 * and the shared JWKS of their public halves in `<dir>` (libs' ensureServiceKeys: keys
 * that exist are kept). docker-compose's init step runs it into a volume the processes
 * mount; in a cluster the same files come from Secrets and a ConfigMap.
 */
import { ensureServiceKeys } from "@shop/libs/auth";
import { runJob } from "./run-job";

if (require.main === module) {
  const dir = process.argv[2];
  if (!dir) {
    console.error("usage: service-keys <dir>");
    process.exit(2);
  }
  runJob("service-keys", async () => {
    await ensureServiceKeys(dir);
    console.log(`service keys in ${dir}`);
  });
}

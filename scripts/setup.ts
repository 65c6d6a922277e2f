/**
 * `npm run setup`: everything a fresh machine needs before the mesh or the tests run.
 * Idempotent; `.ci/run`, `npm run dev` and the test harness all call it.
 *
 * Steps: dev secrets in the git-ignored `.dev/` folder (generated once, then reused):
 * database passwords and each process's service-identity key (Ed25519) with the shared
 * JWKS of their public halves; then one database and one role per service through
 * PG_ADMIN_URL.
 */
import { join } from "node:path";
import { ensureServiceKeys } from "@shop/libs/auth";
import { provisionDatabases } from "@shop/libs/db";
import { SERVICES } from "@shop/libs/mesh";
import { DEV_DIR, loadDevSecrets } from "./dev-secrets";

const DEFAULT_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres";

async function main(): Promise<void> {
  const adminUrl = process.env.PG_ADMIN_URL ?? DEFAULT_ADMIN_URL;
  const secrets = loadDevSecrets();
  const keysDir = join(DEV_DIR, "service-keys");
  await ensureServiceKeys(keysDir);
  console.log(`setup: service identity keys in ${keysDir}`);

  const grants = SERVICES.flatMap((s) =>
    s.database
      ? [
          {
            ...s.database,
            database: s.database.name,
            password: secrets.dbPasswords[s.database.role]!,
          },
        ]
      : [],
  );
  await provisionDatabases(adminUrl, grants);
  for (const g of grants) console.log(`setup: database ${g.database} owned by role ${g.role}`);
}

main().catch((error: unknown) => {
  console.error(`setup failed: ${error instanceof Error ? error.message : String(error)}`);
  console.error("Is PostgreSQL running? Set PG_ADMIN_URL to a superuser connection URL.");
  process.exit(1);
});

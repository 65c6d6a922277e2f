/**
 * Copies the Google API and RPC protos the contracts import from the npm package
 * `google-proto-files` into third_party/. They are committed because `buf breaking`
 * builds the baseline from git history, where node_modules does not exist.
 *
 * `--check` compares instead of copying and exits 1 when third_party/ is stale.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

const FILES = [
  "google/api/annotations.proto",
  "google/api/http.proto",
  "google/rpc/status.proto",
  "google/rpc/code.proto",
  "google/rpc/error_details.proto",
];

const root = join(__dirname, "..");
const source = dirname(require.resolve("google-proto-files/package.json"));
const check = process.argv.includes("--check");
const stale: string[] = [];

for (const file of FILES) {
  const from = join(source, file);
  const to = join(root, "third_party", file);
  if (check) {
    if (!existsSync(to) || !readFileSync(from).equals(readFileSync(to))) stale.push(file);
    continue;
  }
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
}

if (stale.length > 0) {
  console.error(`third_party/ is stale (run \`npm run proto\`): ${stale.join(", ")}`);
  process.exit(1);
}

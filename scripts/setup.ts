/**
 * `npm run setup`: everything a fresh machine needs before the mesh or the tests run.
 * Idempotent; `.ci/run`, `npm run dev` and the test harness all call it.
 *
 * Steps: dev secrets in the git-ignored `.dev/` folder (generated once, then reused),
 * then one database and one role per service through PG_ADMIN_URL.
 */
import { provisionDatabases } from "@shop/libs/db";
import { SERVICES } from "@shop/libs/mesh";
import { loadDevSecrets } from "./dev-secrets";

const DEFAULT_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres";

async function main(): Promise<void> {
  const adminUrl = process.env.PG_ADMIN_URL ?? DEFAULT_ADMIN_URL;
  const secrets = loadDevSecrets();

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

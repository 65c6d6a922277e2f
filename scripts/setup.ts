/**
 * `npm run setup`: everything a fresh machine needs before the mesh or the tests run.
 * Idempotent; `.ci/run`, `npm run dev` and the test harness all call it.
 *
 * 1. dev secrets in the git-ignored `.dev/` folder, generated once and then reused:
 *    database passwords, user-service's key-encryption key, and each process's
 *    service-identity key (Ed25519) with the shared JWKS of their public halves;
 * 2. one database and one role per service through PG_ADMIN_URL;
 * 3. each service's migrations, applied as its own role;
 * 4. demo data: the product catalog.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ensureServiceKeys } from "@shop/libs/auth";
import { createPool, migrate, provisionDatabases } from "@shop/libs/db";
import { EVENTS_MIGRATIONS_DIR, EVENTS_MIGRATIONS_NAMESPACE } from "@shop/libs/events";
import { createLogger } from "@shop/libs/logging";
import { SERVICES } from "@shop/libs/mesh";
import { seedDemoCatalog } from "@shop/product-service";
import { serviceDatabaseUrls } from "./dev/mesh-env";
import { DEV_DIR, loadDevSecrets } from "./dev-secrets";

export const DEFAULT_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres";
const ROOT = join(__dirname, "..");

export async function runSetup(adminUrl: string, say: (line: string) => void): Promise<void> {
  const secrets = loadDevSecrets();
  const keysDir = join(DEV_DIR, "service-keys");
  await ensureServiceKeys(keysDir);
  say(`service identity keys in ${keysDir}`);

  const grants = SERVICES.flatMap((s) =>
    s.database
      ? [
          {
            database: s.database.name,
            role: s.database.role,
            password: secrets.dbPasswords[s.database.role]!,
          },
        ]
      : [],
  );
  await provisionDatabases(adminUrl, grants);
  for (const g of grants) say(`database ${g.database} owned by role ${g.role}`);

  const logger = createLogger({ service: "setup", level: "warn" });
  const urls = serviceDatabaseUrls(adminUrl, secrets);
  for (const service of SERVICES) {
    const url = urls[service.name];
    const migrationsDir = join(ROOT, service.dir, "migrations");
    if (!url || !existsSync(migrationsDir)) continue;
    const pool = createPool({ url, applicationName: "setup", logger, max: 2 });
    try {
      const applied = [
        ...(await migrate(pool, {
          namespace: EVENTS_MIGRATIONS_NAMESPACE,
          dir: EVENTS_MIGRATIONS_DIR,
          logger,
        })),
        ...(await migrate(pool, {
          namespace: service.name,
          dir: migrationsDir,
          logger,
        })),
      ];
      say(
        `${service.name}: ${applied.length === 0 ? "migrations up to date" : `${applied.length} migrations applied`}`,
      );
      if (service.name === "product-service") {
        const created = await seedDemoCatalog(pool, logger);
        say(
          `product-service: demo catalog ${created === 0 ? "already loaded" : `loaded (${created} products)`}`,
        );
      }
    } finally {
      await pool.end();
    }
  }
}

if (require.main === module) {
  runSetup(process.env.PG_ADMIN_URL ?? DEFAULT_ADMIN_URL, (line) =>
    console.log(`setup: ${line}`),
  ).catch((error: unknown) => {
    console.error(`setup failed: ${error instanceof Error ? error.message : String(error)}`);
    console.error("Is PostgreSQL running? Set PG_ADMIN_URL to a superuser connection URL.");
    process.exit(1);
  });
}

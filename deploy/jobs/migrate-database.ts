/**
 * `node deploy/jobs/migrate-database.js <service>`: applies the service's migrations and
 * exits; what each service's migration Job runs before its Deployment rolls out. The
 * same two sets, in the same order and namespaces, as the service runtime applies at
 * start (libs' events tables, then the service's own), so the service finds nothing
 * left to do; libs' advisory lock makes a Job and starting replicas safe together.
 *
 * Environment: DATABASE_URL (the service's own role and database), LOG_LEVEL.
 */
import { join } from "node:path";
import { env, parseEnv } from "@shop/libs/config";
import { createPool, migrate } from "@shop/libs/db";
import { EVENTS_MIGRATIONS_DIR, EVENTS_MIGRATIONS_NAMESPACE } from "@shop/libs/events";
import { createLogger, LOG_LEVELS } from "@shop/libs/logging";
import { SERVICES, type ServiceName } from "@shop/libs/mesh";
import { findRepoRoot } from "@shop/libs/runtime-config";
import { runJob } from "./run-job";

/** The services that own a database, by name. */
export function databaseServices(): ServiceName[] {
  return SERVICES.filter((s) => s.database).map((s) => s.name);
}

/** Where a service's own migrations are, in the repository or in its image. */
export function migrationsDir(service: ServiceName, root: string = findRepoRoot()): string {
  const spec = SERVICES.find((s) => s.name === service)!;
  return join(root, spec.dir, "migrations");
}

export async function migrateDatabase(service: ServiceName, environment: NodeJS.ProcessEnv) {
  const config = parseEnv(
    {
      DATABASE_URL: env.url("postgres", "postgresql"),
      LOG_LEVEL: env.oneOf(LOG_LEVELS).default("info"),
    },
    environment,
  );
  const logger = createLogger({ service, level: config.LOG_LEVEL });
  const pool = createPool({
    url: config.DATABASE_URL,
    applicationName: `${service}-migrate`,
    logger,
  });
  try {
    const events = await migrate(pool, {
      namespace: EVENTS_MIGRATIONS_NAMESPACE,
      dir: EVENTS_MIGRATIONS_DIR,
      logger,
    });
    const own = await migrate(pool, { namespace: service, dir: migrationsDir(service), logger });
    logger.info({ applied: { events, [service]: own } }, `${service} migrations applied`);
  } finally {
    await pool.end();
  }
}

if (require.main === module) {
  const service = process.argv[2] as ServiceName;
  if (!databaseServices().includes(service)) {
    console.error(`usage: migrate-database <${databaseServices().join("|")}>`);
    process.exit(2);
  }
  runJob("migrate-database", () => migrateDatabase(service, process.env));
}

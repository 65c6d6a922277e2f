/**
 * `node deploy/jobs/provision-databases.js`: one database and one role per service, each
 * role owning its database with CONNECT revoked from PUBLIC (libs' provisionDatabases,
 * the same code `npm run setup` runs). The dev overlay's init Job and docker-compose run
 * it; in production the databases are provisioned outside the cluster.
 *
 * Environment: PG_ADMIN_URL (a superuser), and for each service that owns a database
 * `<SERVICE>_DATABASE_PASSWORD` (e.g. USER_SERVICE_DATABASE_PASSWORD).
 */
import { env, parseEnv } from "@shop/libs/config";
import { provisionDatabases } from "@shop/libs/db";
import { SERVICES, type ServiceName } from "@shop/libs/mesh";
import { runJob } from "./run-job";

/** `user-service` -> `USER_SERVICE_DATABASE_PASSWORD`. */
export function databasePasswordVariable(service: ServiceName): string {
  return `${service.toUpperCase().replaceAll("-", "_")}_DATABASE_PASSWORD`;
}

export async function provisionFromEnv(environment: NodeJS.ProcessEnv): Promise<string[]> {
  const owners = SERVICES.filter((s) => s.database);
  const config = parseEnv(
    {
      PG_ADMIN_URL: env.url("postgres", "postgresql"),
      ...Object.fromEntries(owners.map((s) => [databasePasswordVariable(s.name), env.string()])),
    },
    environment,
  ) as Readonly<Record<string, string>>;
  const grants = owners.map((s) => ({
    database: s.database!.name,
    role: s.database!.role,
    password: config[databasePasswordVariable(s.name)]!,
  }));
  await provisionDatabases(config.PG_ADMIN_URL!, grants);
  return grants.map((g) => `${g.database} owned by ${g.role}`);
}

if (require.main === module) {
  runJob("provision-databases", async () => {
    for (const line of await provisionFromEnv(process.env)) console.log(`provisioned ${line}`);
  });
}

/**
 * Scratch databases a scenario owns for its run. A small process (the scenario's file
 * run with a flag) creates them, then listens on a port: the harness takes the port as
 * its readiness, and stops the process after the services, on which it drops the
 * databases. The listener may also serve what the services need from the run (a JWKS).
 */
import type { Server as HttpServer } from "node:http";
import { createServer, type Server } from "node:net";
import { Client } from "pg";

export const ADMIN_URL = process.env.PG_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** The URL of database `name` on the admin URL's server. */
export const databaseUrl = (name: string) => {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
};

/** Runs `fn` with a connected client of `url`, closed afterwards. */
export async function withClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const dropDatabase = (name: string) =>
  withClient(ADMIN_URL, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));

/**
 * Creates `names` afresh (each must match `pattern`: the names are SQL identifiers, and
 * only a scenario's own databases may be dropped), listens on `port` with `server` (by
 * default one that closes every connection), and drops them all and exits on SIGTERM
 * or SIGINT.
 */
export async function holdDatabases(
  names: readonly string[],
  pattern: RegExp,
  port: number,
  server: Server | HttpServer = createServer((socket) => socket.end()),
): Promise<void> {
  for (const name of names) {
    if (!pattern.test(name)) throw new Error(`refusing database name ${name}`);
    await dropDatabase(name);
    await withClient(ADMIN_URL, (c) => c.query(`CREATE DATABASE ${name}`));
  }
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const drop = async () => {
    server.close();
    if ("closeAllConnections" in server) server.closeAllConnections();
    try {
      for (const name of names) await dropDatabase(name);
      process.exit(0);
    } catch (error) {
      console.error("dropping the bench databases failed:", error);
      process.exit(1);
    }
  };
  process.once("SIGTERM", drop);
  process.once("SIGINT", drop);
}

import { randomBytes } from "node:crypto";
import { Client } from "pg";

/** A throwaway database for one test file. */
export interface ScratchDatabase {
  readonly name: string;
  /** The admin URL pointed at the scratch database. */
  readonly url: string;
  /** Drops it WITH (FORCE), ending any sessions still open. */
  drop(): Promise<void>;
}

/**
 * Test support: creates `t_<random>` through the admin URL (a superuser or a role with
 * CREATEDB), so tests against the real PostgreSQL never share or leave data behind.
 */
export async function createScratchDatabase(adminUrl: string): Promise<ScratchDatabase> {
  const name = `t_${randomBytes(6).toString("hex")}`;
  // The name is generated above, never input, so it is safe to splice into the SQL.
  await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

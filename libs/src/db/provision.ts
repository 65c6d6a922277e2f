import { Client } from "pg";

/** One service's database and the role that alone may connect to it. */
export interface DatabaseGrant {
  readonly database: string;
  readonly role: string;
  readonly password: string;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

function ident(name: string): string {
  // Identifiers cannot be bound as parameters, so they are checked, then quoted.
  if (!IDENTIFIER.test(name)) throw new Error(`invalid SQL identifier: ${JSON.stringify(name)}`);
  return `"${name}"`;
}

function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * Creates each database and role if missing and separates them: the role owns its
 * database, and CONNECT is revoked from PUBLIC, so no role can open another service's
 * database. Idempotent: running it again only re-applies passwords and privileges.
 */
export async function provisionDatabases(
  adminUrl: string,
  grants: readonly DatabaseGrant[],
): Promise<void> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    for (const { database, role, password } of grants) {
      const roleExists = await admin.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role]);
      const verb = roleExists.rowCount === 0 ? "CREATE" : "ALTER";
      await admin.query(`${verb} ROLE ${ident(role)} LOGIN PASSWORD ${literal(password)}`);

      const dbExists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [
        database,
      ]);
      if (dbExists.rowCount === 0) {
        await admin.query(`CREATE DATABASE ${ident(database)} OWNER ${ident(role)}`);
      }
      await admin.query(`ALTER DATABASE ${ident(database)} OWNER TO ${ident(role)}`);
      await admin.query(`REVOKE ALL ON DATABASE ${ident(database)} FROM PUBLIC`);
      await admin.query(
        `GRANT CONNECT, TEMPORARY ON DATABASE ${ident(database)} TO ${ident(role)}`,
      );
    }
  } finally {
    await admin.end();
  }
}

/** Drops databases and roles made by provisionDatabases (tests clean up with it). */
export async function dropDatabases(
  adminUrl: string,
  grants: readonly Pick<DatabaseGrant, "database" | "role">[],
): Promise<void> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    for (const { database, role } of grants) {
      await admin.query(`DROP DATABASE IF EXISTS ${ident(database)} WITH (FORCE)`);
      await admin.query(`DROP ROLE IF EXISTS ${ident(role)}`);
    }
  } finally {
    await admin.end();
  }
}

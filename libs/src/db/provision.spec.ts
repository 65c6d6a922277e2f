import { randomBytes } from "node:crypto";
import { Client } from "pg";
import { dropDatabases, provisionDatabases } from "./provision";

const ADMIN_URL = process.env.PG_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

function urlFor(role: string, password: string, database: string): string {
  const url = new URL(ADMIN_URL);
  url.username = role;
  url.password = password;
  url.pathname = `/${database}`;
  return url.toString();
}

async function tryConnect(url: string): Promise<string> {
  const client = new Client({ connectionString: url });
  try {
    await client.connect();
    const { rows } = await client.query<{ db: string }>("SELECT current_database() AS db");
    return `connected:${rows[0]!.db}`;
  } catch (error) {
    return `refused:${(error as { code?: string }).code}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe("provisionDatabases", () => {
  // Unique names per run, so the test neither depends on nor disturbs `npm run setup`.
  const run = randomBytes(4).toString("hex");
  const grants = ["alpha", "beta"].map((name) => ({
    database: `t${run}_${name}`,
    role: `t${run}_${name}_svc`,
    password: randomBytes(12).toString("hex"),
  }));
  const [alpha, beta] = grants as [(typeof grants)[0], (typeof grants)[0]];

  afterAll(() => dropDatabases(ADMIN_URL, grants));

  it("creates each database for its own role, and running it again is harmless", async () => {
    await provisionDatabases(ADMIN_URL, grants);
    await provisionDatabases(ADMIN_URL, grants);
    expect(await tryConnect(urlFor(alpha.role, alpha.password, alpha.database))).toBe(
      `connected:${alpha.database}`,
    );
    expect(await tryConnect(urlFor(beta.role, beta.password, beta.database))).toBe(
      `connected:${beta.database}`,
    );
  });

  it("refuses a role another service's database (insufficient privilege)", async () => {
    expect(await tryConnect(urlFor(alpha.role, alpha.password, beta.database))).toBe(
      "refused:42501",
    );
    expect(await tryConnect(urlFor(beta.role, beta.password, alpha.database))).toBe(
      "refused:42501",
    );
  });

  it("lets the owning role create tables in its database", async () => {
    const client = new Client({
      connectionString: urlFor(alpha.role, alpha.password, alpha.database),
    });
    await client.connect();
    try {
      await client.query("CREATE TABLE IF NOT EXISTS t (id int)");
      await client.query("INSERT INTO t VALUES (1)");
      const { rows } = await client.query("SELECT count(*)::int AS n FROM t");
      expect(rows[0]).toEqual({ n: 1 });
    } finally {
      await client.end();
    }
  });

  it("rejects identifiers that could inject SQL", async () => {
    await expect(
      provisionDatabases(ADMIN_URL, [{ database: 'x"; DROP', role: "r", password: "p" }]),
    ).rejects.toThrow(/invalid SQL identifier/);
  });
});

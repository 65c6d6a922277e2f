import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Pool } from "pg";
import { Code, ServiceError } from "../errors";
import { createLogger } from "../logging";
import { MIGRATION_LOCK_KEY, migrate } from "./migrate";
import { createPool } from "./pool";
import { createScratchDatabase, type ScratchDatabase } from "./scratch-database";

const ADMIN_URL = process.env.PG_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const logger = createLogger({ service: "migrate-test", level: "silent" });

let db: ScratchDatabase;
let pool: Pool;
const dirs: string[] = [];

beforeAll(async () => {
  db = await createScratchDatabase(ADMIN_URL);
  pool = createPool({ url: db.url, applicationName: "migrate-test", logger });
});

afterAll(async () => {
  await pool.end();
  await db.drop();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** A folder holding the given migration files. */
async function migrationsDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "migrations-"));
  dirs.push(dir);
  for (const [name, sql] of Object.entries(files)) await writeFile(join(dir, name), sql);
  return dir;
}

async function recorded(namespace: string) {
  const { rows } = await pool.query<{ version: number; name: string }>(
    "SELECT version, name FROM schema_migrations WHERE namespace = $1 ORDER BY version",
    [namespace],
  );
  return rows.map((r) => `${r.version}:${r.name}`);
}

describe("migrate", () => {
  it("applies files in version order, and a second run applies nothing", async () => {
    // Written in reverse order; each file needs the one before it.
    const dir = await migrationsDir({
      "0010_add_note.sql": "ALTER TABLE ordered ADD COLUMN note text NOT NULL DEFAULT 'x';",
      "0002_seed.sql": "INSERT INTO ordered (id) VALUES (1); INSERT INTO ordered (id) VALUES (2);",
      "0001_create.sql": "CREATE TABLE ordered (id int PRIMARY KEY);",
      "README.md": "not a migration",
    });
    expect(await migrate(pool, { namespace: "ordered", dir, logger })).toEqual([1, 2, 10]);
    expect(await migrate(pool, { namespace: "ordered", dir, logger })).toEqual([]);
    const { rows } = await pool.query("SELECT id, note FROM ordered ORDER BY id");
    expect(rows).toEqual([
      { id: 1, note: "x" },
      { id: 2, note: "x" },
    ]);
    expect(await recorded("ordered")).toEqual(["1:create", "2:seed", "10:add_note"]);
  });

  it("applies each file once when two replicas migrate at the same moment", async () => {
    const dir = await migrationsDir({
      "0001_create.sql": "CREATE TABLE raced (run text);",
      "0002_first.sql": "INSERT INTO raced VALUES ('0002');",
      "0003_second.sql": "INSERT INTO raced VALUES ('0003');",
    });
    const other = createPool({ url: db.url, applicationName: "migrate-test-2", logger });
    try {
      const [a, b] = await Promise.all([
        migrate(pool, { namespace: "raced", dir, logger }),
        migrate(other, { namespace: "raced", dir, logger }),
      ]);
      expect([...a, ...b].sort()).toEqual([1, 2, 3]);
    } finally {
      await other.end();
    }
    const { rows } = await pool.query("SELECT run FROM raced ORDER BY run");
    expect(rows).toEqual([{ run: "0002" }, { run: "0003" }]);
  });

  it("rejects an applied file whose content changed, naming it", async () => {
    const dir = await migrationsDir({ "0001_create.sql": "CREATE TABLE changed (id int);" });
    await migrate(pool, { namespace: "changed", dir, logger });
    await writeFile(join(dir, "0001_create.sql"), "CREATE TABLE changed (id bigint);");
    const error = await migrate(pool, { namespace: "changed", dir, logger }).catch((e) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect(error.code).toBe(Code.FAILED_PRECONDITION);
    expect(error.message).toMatch(/0001_create\.sql of changed was changed/);
  });

  it("accepts the same file with CRLF line endings", async () => {
    const dir = await migrationsDir({ "0001_create.sql": "CREATE TABLE crlf (id int);\n" });
    await migrate(pool, { namespace: "crlf", dir, logger });
    await writeFile(join(dir, "0001_create.sql"), "CREATE TABLE crlf (id int);\r\n");
    expect(await migrate(pool, { namespace: "crlf", dir, logger })).toEqual([]);
  });

  it("rolls back a failing file, keeps the earlier ones, and applies it once fixed", async () => {
    const dir = await migrationsDir({
      "0001_create.sql": "CREATE TABLE failing (id int);",
      "0002_broken.sql": "CREATE TABLE failing_half (id int); SELECT 1 / 0;",
      "0003_after.sql": "CREATE TABLE failing_after (id int);",
    });
    const error = await migrate(pool, { namespace: "failing", dir, logger }).catch((e) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect(error.message).toMatch(/0002_broken\.sql of failing failed: division by zero/);
    expect(error.code).toBe(Code.INTERNAL);
    expect(await recorded("failing")).toEqual(["1:create"]);
    const tables = await pool.query(
      "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'failing%' ORDER BY 1",
    );
    expect(tables.rows).toEqual([{ table_name: "failing" }]);

    await writeFile(join(dir, "0002_broken.sql"), "CREATE TABLE failing_half (id int);");
    expect(await migrate(pool, { namespace: "failing", dir, logger })).toEqual([2, 3]);
  });

  it("keeps namespaces apart: the same version numbers coexist", async () => {
    const events = await migrationsDir({ "0001_outbox.sql": "CREATE TABLE ns_outbox (id int);" });
    const service = await migrationsDir({ "0001_orders.sql": "CREATE TABLE ns_orders (id int);" });
    expect(await migrate(pool, { namespace: "libs.events", dir: events, logger })).toEqual([1]);
    expect(await migrate(pool, { namespace: "order-service", dir: service, logger })).toEqual([1]);
    expect(await recorded("libs.events")).toEqual(["1:outbox"]);
    expect(await recorded("order-service")).toEqual(["1:orders"]);
    expect(await migrate(pool, { namespace: "libs.events", dir: events, logger })).toEqual([]);
  });

  it("rejects badly named files and duplicate versions before touching the database", async () => {
    const badName = await migrationsDir({ "create.sql": "SELECT 1;" });
    await expect(migrate(pool, { namespace: "bad", dir: badName, logger })).rejects.toThrow(
      /create\.sql of bad is not named NNNN_name\.sql/,
    );
    const duplicate = await migrationsDir({ "0001_a.sql": "SELECT 1;", "1_b.sql": "SELECT 1;" });
    await expect(migrate(pool, { namespace: "bad", dir: duplicate, logger })).rejects.toThrow(
      /0001_a\.sql and 1_b\.sql of bad have the same version/,
    );
    expect(await recorded("bad")).toEqual([]);
  });

  it("gives up waiting for a lock another session holds", async () => {
    const dir = await migrationsDir({ "0001_create.sql": "CREATE TABLE locked (id int);" });
    const holder = await pool.connect();
    try {
      await holder.query("SELECT pg_advisory_lock($1::bigint)", [MIGRATION_LOCK_KEY]);
      const error = await migrate(pool, {
        namespace: "locked",
        dir,
        logger,
        lockTimeoutMs: 150,
      }).catch((e) => e);
      expect(error.code).toBe(Code.DEADLINE_EXCEEDED);
      expect(await recorded("locked")).toEqual([]);
    } finally {
      await holder.query("SELECT pg_advisory_unlock($1::bigint)", [MIGRATION_LOCK_KEY]);
      holder.release();
    }
  });
});

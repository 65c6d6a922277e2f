import { createServer } from "node:net";
import { Client, type Pool } from "pg";
import { Code, toServiceError } from "../errors";
import { createLogger } from "../logging";
import { checkDatabase, createPool } from "./pool";
import { createScratchDatabase, type ScratchDatabase } from "./scratch-database";

const ADMIN_URL = process.env.PG_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

let db: ScratchDatabase;
const pools: Pool[] = [];

beforeAll(async () => {
  db = await createScratchDatabase(ADMIN_URL);
});

afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  await db.drop();
});

function poolWithLog(url: string, extra: { max?: number; statementTimeoutMs?: number } = {}) {
  const lines: { level: string; message: string }[] = [];
  const logger = createLogger({
    service: "pool-test",
    destination: { write: (line: string) => lines.push(JSON.parse(line)) },
  });
  const pool = createPool({ url, applicationName: "pool-test", logger, ...extra });
  pools.push(pool);
  return { pool, lines };
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function terminate(pid: number): Promise<void> {
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query("SELECT pg_terminate_backend($1)", [pid]);
  } finally {
    await admin.end();
  }
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(condition()).toBe(true);
}

describe("createPool", () => {
  it("names its sessions after the service", async () => {
    const { pool } = poolWithLog(db.url);
    const { rows } = await pool.query("SELECT current_setting('application_name') AS name");
    expect(rows[0]).toEqual({ name: "pool-test" });
  });

  it("logs an idle connection killed by the server and keeps serving", async () => {
    const { pool, lines } = poolWithLog(db.url, { max: 1 });
    const { rows } = await pool.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
    await terminate(rows[0]!.pid);
    await until(() => lines.some((l) => l.message.includes("idle database connection lost")));
    const again = await pool.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
    expect(again.rows[0]!.pid).not.toBe(rows[0]!.pid);
  });

  it("logs a checked-out connection killed between queries; the next query fails", async () => {
    const { pool, lines } = poolWithLog(db.url, { max: 1 });
    const client = await pool.connect();
    const { rows } = await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
    await terminate(rows[0]!.pid);
    await until(() => lines.some((l) => l.message.includes("connection lost while in use")));
    const error = await client.query("SELECT 1").catch((e) => e);
    expect(error).toBeInstanceOf(Error);
    client.release(error);
    expect((await pool.query("SELECT 1 AS one")).rows[0]).toEqual({ one: 1 });
  });

  it("cancels statements over the statement timeout: DEADLINE_EXCEEDED", async () => {
    const { pool } = poolWithLog(db.url, { statementTimeoutMs: 50 });
    const error = await pool.query("SELECT pg_sleep(5)").catch((e) => e);
    expect(error.code).toBe("57014");
    expect(toServiceError(error).code).toBe(Code.DEADLINE_EXCEEDED);
  });

  it("fails with ECONNREFUSED when the server refuses the connection", async () => {
    const { pool } = poolWithLog(`postgres://postgres@127.0.0.1:${await closedPort()}/postgres`);
    const error = await pool.query("SELECT 1").catch((e) => e);
    expect(error.code).toBe("ECONNREFUSED");
  });

  // KNOWN FAILURE, to flip to `it` once errors/map-error.ts is fixed: Node creates socket
  // errors in its own realm, and jest runs tests in a separate one, so `error instanceof
  // Error` is false there and toServiceError answers INTERNAL. In a service (one realm)
  // the mapping is right; `util.types.isNativeError(error)` would make it right in both.
  it("maps a refused connection to UNAVAILABLE", async () => {
    const { pool } = poolWithLog(`postgres://postgres@127.0.0.1:${await closedPort()}/postgres`);
    const error = await pool.query("SELECT 1").catch((e) => e);
    expect(toServiceError(error).code).toBe(Code.UNAVAILABLE);
  });
});

describe("checkDatabase", () => {
  it("is true when the database answers", async () => {
    const { pool } = poolWithLog(db.url);
    expect(await checkDatabase(pool, 1_000)).toBe(true);
  });

  it("is false when the server is unreachable", async () => {
    const { pool } = poolWithLog(`postgres://postgres@127.0.0.1:${await closedPort()}/postgres`);
    expect(await checkDatabase(pool, 1_000)).toBe(false);
  });

  it("is false when no answer comes in time (every connection busy)", async () => {
    const { pool } = poolWithLog(db.url, { max: 1 });
    const busy = await pool.connect();
    try {
      expect(await checkDatabase(pool, 50)).toBe(false);
    } finally {
      busy.release();
    }
  });
});

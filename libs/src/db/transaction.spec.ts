import type { Pool, PoolClient } from "pg";
import { Code, toServiceError } from "../errors";
import { createLogger } from "../logging";
import { createPool } from "./pool";
import { createScratchDatabase, type ScratchDatabase } from "./scratch-database";
import { type IsolationLevel, withTransaction } from "./transaction";

const ADMIN_URL = process.env.PG_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const logger = createLogger({ service: "transaction-test", level: "silent" });

let db: ScratchDatabase;
let pool: Pool;

beforeAll(async () => {
  db = await createScratchDatabase(ADMIN_URL);
  pool = createPool({ url: db.url, applicationName: "transaction-test", logger });
  await pool.query("CREATE TABLE account (id int PRIMARY KEY, balance int NOT NULL)");
});

afterAll(async () => {
  await pool.end();
  await db.drop();
});

beforeEach(async () => {
  await pool.query("TRUNCATE account");
  await pool.query("INSERT INTO account VALUES (1, 0), (2, 0)");
});

const balance = async (id: number) =>
  (await pool.query<{ balance: number }>("SELECT balance FROM account WHERE id = $1", [id]))
    .rows[0]!.balance;

/** Resolves once `parties` callers have arrived: makes two transactions interleave. */
function barrier(parties: number): () => Promise<void> {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return () => {
    arrived += 1;
    if (arrived === parties) open();
    return opened;
  };
}

/**
 * Two transactions that read the same row, wait for each other, then write it: the
 * classic lost update, which SERIALIZABLE turns into a serialization failure for one.
 */
async function conflictingIncrements(isolation: IsolationLevel, maxAttempts: number) {
  let runs = 0;
  const bothRead = barrier(2);
  const increment = (client: PoolClient) => async () => {
    runs += 1;
    const first = runs <= 2;
    const { rows } = await client.query("SELECT balance FROM account WHERE id = 1");
    if (first) await bothRead();
    await client.query("UPDATE account SET balance = $1 WHERE id = 1", [rows[0].balance + 1]);
  };
  const results = await Promise.allSettled([
    withTransaction(pool, (client) => increment(client)(), { isolation, maxAttempts }),
    withTransaction(pool, (client) => increment(client)(), { isolation, maxAttempts }),
  ]);
  return { runs, results };
}

describe("withTransaction", () => {
  it("commits what the function did and returns its result", async () => {
    const result = await withTransaction(pool, async (client) => {
      await client.query("UPDATE account SET balance = 10 WHERE id = 1");
      return "done";
    });
    expect(result).toBe("done");
    expect(await balance(1)).toBe(10);
  });

  it("rolls back on error, rethrows it unchanged and does not retry it", async () => {
    const failure = new Error("business rule broken");
    let runs = 0;
    const error = await withTransaction(pool, async (client) => {
      runs += 1;
      await client.query("UPDATE account SET balance = 10 WHERE id = 1");
      throw failure;
    }).catch((e) => e);
    expect(error).toBe(failure);
    expect(runs).toBe(1);
    expect(await balance(1)).toBe(0);
  });

  it("retries a real serialization failure until both transactions succeed", async () => {
    const { runs, results } = await conflictingIncrements("serializable", 5);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled"]);
    expect(runs).toBeGreaterThan(2);
    // Neither increment was lost.
    expect(await balance(1)).toBe(2);
  });

  it("rethrows the serialization failure when attempts run out; it maps to ABORTED", async () => {
    const { results } = await conflictingIncrements("repeatable read", 1);
    const rejected = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(rejected.reason.code).toBe("40001");
    expect(toServiceError(rejected.reason).code).toBe(Code.ABORTED);
    expect(await balance(1)).toBe(1);
  });

  it("retries a deadlock", async () => {
    let runs = 0;
    const bothLocked = barrier(2);
    // Each locks one row, waits for the other, then wants the other's row.
    const transfer = (first: number, second: number) =>
      withTransaction(pool, async (client) => {
        runs += 1;
        const initial = runs <= 2;
        // Superuser-only setting, allowed for the test's admin role: detect quickly.
        await client.query("SET LOCAL deadlock_timeout = '20ms'");
        await client.query("UPDATE account SET balance = balance + 1 WHERE id = $1", [first]);
        if (initial) await bothLocked();
        await client.query("UPDATE account SET balance = balance + 1 WHERE id = $1", [second]);
      });
    await Promise.all([transfer(1, 2), transfer(2, 1)]);
    expect(runs).toBe(3);
    expect([await balance(1), await balance(2)]).toEqual([2, 2]);
  });

  it("maps a unique violation to ALREADY_EXISTS and leaves nothing behind", async () => {
    const error = await withTransaction(pool, async (client) => {
      await client.query("INSERT INTO account VALUES (3, 0)");
      await client.query("INSERT INTO account VALUES (1, 0)");
    }).catch((e) => e);
    expect(error.code).toBe("23505");
    expect(toServiceError(error).code).toBe(Code.ALREADY_EXISTS);
    const { rows } = await pool.query("SELECT count(*)::int AS n FROM account");
    expect(rows[0]).toEqual({ n: 2 });
  });
});

import { setTimeout as sleep } from "node:timers/promises";
import type { Pool, PoolClient } from "pg";

export type IsolationLevel = "read committed" | "repeatable read" | "serializable";

export interface TransactionOptions {
  /** Default "read committed", PostgreSQL's own default. */
  isolation?: IsolationLevel;
  /** Runs of the function at most, the first included (default 5). */
  maxAttempts?: number;
}

const ISOLATION_SQL: Record<IsolationLevel, string> = {
  "read committed": "READ COMMITTED",
  "repeatable read": "REPEATABLE READ",
  serializable: "SERIALIZABLE",
};

/** serialization_failure and deadlock_detected: the transaction did nothing, run it again. */
const RETRYABLE = new Set(["40001", "40P01"]);

const BACKOFF_BASE_MS = 5;
const BACKOFF_CAP_MS = 250;

/**
 * Runs `fn` inside BEGIN ... COMMIT on one client of the pool; any error rolls back and
 * is rethrown unchanged. A serialization failure or deadlock (also when wrapped, e.g. by
 * toServiceError, as `cause`) runs the whole function again after a jittered backoff,
 * so `fn` must have no effects outside the transaction it is given.
 */
export async function withTransaction<T>(
  pool: Pool,
  fn: (client: PoolClient) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const begin = `BEGIN ISOLATION LEVEL ${ISOLATION_SQL[options.isolation ?? "read committed"]}`;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 5);
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    let failure: unknown;
    let broken: Error | undefined;
    try {
      await client.query(begin);
      const result = await fn(client);
      await client.query("COMMIT");
      client.release();
      return result;
    } catch (error) {
      failure = error;
      // A failed ROLLBACK means the connection is gone: the pool must not reuse it.
      await client.query("ROLLBACK").catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      client.release(broken);
    }
    if (attempt >= maxAttempts || !isRetryable(failure)) throw failure;
    // Full jitter: conflicting transactions retried at the same moment would collide again.
    const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
    await sleep(Math.random() * ceiling);
  }
}

function isRetryable(error: unknown): boolean {
  // Duck-typed, not instanceof: errors of Node's sockets come from another realm in jest.
  let e = error as { code?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; typeof e === "object" && e !== null && depth < 5; depth++) {
    const code = e.code;
    if (typeof code === "string" && RETRYABLE.has(code)) return true;
    e = e.cause as typeof e;
  }
  return false;
}

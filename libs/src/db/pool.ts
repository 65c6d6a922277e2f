import { Pool, type PoolClient } from "pg";
import type { Logger } from "../logging";

export interface PoolConfig {
  /** postgres://role:password@host:port/database of the service's own database. */
  url: string;
  /** Connections at most (default 10). */
  max?: number;
  /** Shown in pg_stat_activity, e.g. "order-service": tells whose queries are slow. */
  applicationName: string;
  /** Server-side limit per statement; unset means none. */
  statementTimeoutMs?: number;
  /** How long to wait for a connection, new or from the pool (default 5 s). */
  connectTimeoutMs?: number;
  /**
   * The server ends a session left idle inside a transaction this long (default 60 s),
   * so a leaked client cannot hold locks forever.
   */
  idleInTransactionTimeoutMs?: number;
  logger: Logger;
}

/**
 * One pg pool per service instance. Connection errors of clients are logged, never
 * thrown: pg emits them as `error` events, and an unhandled `error` event would end the
 * process when the database restarts or an administrator terminates a session.
 */
export function createPool(config: PoolConfig): Pool {
  const pool = new Pool({
    connectionString: config.url,
    max: config.max ?? 10,
    application_name: config.applicationName,
    connectionTimeoutMillis: config.connectTimeoutMs ?? 5_000,
    idle_in_transaction_session_timeout: config.idleInTransactionTimeoutMs ?? 60_000,
    ...(config.statementTimeoutMs !== undefined
      ? { statement_timeout: config.statementTimeoutMs }
      : {}),
  });
  const log = config.logger;
  // The pool reports errors of idle clients itself ("error" below). While a client is
  // checked out the pool removes its listener, so a session killed between two queries
  // would emit an unhandled error; this listener covers that window, and the next query
  // on the client fails, so the caller sees it too.
  const checkedOut = new WeakSet<PoolClient>();
  pool.on("acquire", (client) => checkedOut.add(client));
  pool.on("release", (_error, client) => checkedOut.delete(client));
  pool.on("connect", (client) => {
    client.on("error", (error) => {
      if (checkedOut.has(client)) log.warn({ err: error }, "database connection lost while in use");
    });
  });
  pool.on("error", (error) => {
    log.warn({ err: error }, "idle database connection lost; the pool opens a new one on demand");
  });
  return pool;
}

/**
 * For readiness probes: true when `SELECT 1` answers within `timeoutMs`. Never throws.
 */
export async function checkDatabase(pool: Pool, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const probe = pool.query("SELECT 1").then(
    () => true,
    () => false,
  );
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Pool, PoolClient } from "pg";
import { Code, ServiceError, toServiceError } from "../errors";
import type { Logger } from "../logging";

export interface MigrateOptions {
  /**
   * Whose migrations these are, e.g. "order-service" or "libs.events": versions are
   * numbered per namespace, so several sets share one database.
   */
  namespace: string;
  /**
   * Folder of `NNNN_name.sql` files (other files are ignored). Each runs inside a
   * transaction this function opens, so a file must not BEGIN or COMMIT itself, nor use
   * what cannot run in a transaction (CREATE INDEX CONCURRENTLY).
   */
  dir: string;
  logger: Logger;
  /** How long to wait for another migrator to finish (default 60 s). */
  lockTimeoutMs?: number;
}

interface MigrationFile {
  version: number;
  name: string;
  file: string;
  sql: string;
  checksum: string;
}

const FILE_PATTERN = /^(\d+)_([A-Za-z0-9_-]+)\.sql$/;

// One advisory lock for all namespaces: it also covers creating schema_migrations,
// which two sessions cannot safely do at once even with IF NOT EXISTS. The number is
// arbitrary ("migrate" in ASCII, 0x6d696772617465), chosen not to clash with locks
// taken by services. Exported for tests.
export const MIGRATION_LOCK_KEY = "30796665482998885";
const LOCK_POLL_MS = 100;

const CREATE_TABLE = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    namespace  text        NOT NULL,
    version    integer     NOT NULL,
    name       text        NOT NULL,
    checksum   text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (namespace, version)
  )`;

/**
 * Applies the SQL files of `dir` not yet recorded for `namespace`, in version order,
 * each in its own transaction with its row in `schema_migrations`, so a failure leaves
 * the earlier files applied and the failing one not at all. Concurrent migrators (two
 * replicas starting together) are serialised by an advisory lock, and each re-reads
 * what is applied once it holds the lock. A recorded file whose content changed is an
 * error: migrations are immutable; write a new one. Running it again applies nothing.
 *
 * @returns the versions applied by this call.
 */
export async function migrate(pool: Pool, options: MigrateOptions): Promise<number[]> {
  const { namespace, logger } = options;
  const files = await readMigrations(options.dir, namespace);
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await acquireLock(client, namespace, options.lockTimeoutMs ?? 60_000, logger);
    try {
      await client.query(CREATE_TABLE);
      const applied = await appliedChecksums(client, namespace);
      for (const file of files) {
        const checksum = applied.get(file.version);
        if (checksum !== undefined && checksum !== file.checksum) {
          throw new ServiceError(
            Code.FAILED_PRECONDITION,
            `migration ${file.file} of ${namespace} was changed after it was applied; ` +
              "applied migrations are immutable, add a new file instead",
          );
        }
      }
      const known = new Set(files.map((f) => f.version));
      const unknown = [...applied.keys()].filter((v) => !known.has(v));
      if (unknown.length > 0) {
        // An older build starting against a newer schema (a rollback) is expected.
        logger.warn({ namespace, versions: unknown }, "database has migrations this build lacks");
      }
      const done: number[] = [];
      for (const file of files) {
        if (applied.has(file.version)) continue;
        await applyOne(client, namespace, file);
        logger.info({ namespace, migration: file.file }, "migration applied");
        done.push(file.version);
      }
      return done;
    } finally {
      await client
        .query("SELECT pg_advisory_unlock($1::bigint)", [MIGRATION_LOCK_KEY])
        .catch((e) => {
          broken = e as Error;
        });
    }
  } finally {
    // Destroying a broken client also releases its session's lock.
    client.release(broken);
  }
}

async function readMigrations(dir: string, namespace: string): Promise<MigrationFile[]> {
  const files: MigrationFile[] = [];
  for (const entry of (await readdir(dir)).sort()) {
    if (!entry.endsWith(".sql")) continue;
    const match = FILE_PATTERN.exec(entry);
    if (!match) {
      throw new ServiceError(
        Code.INVALID_ARGUMENT,
        `migration file ${entry} of ${namespace} is not named NNNN_name.sql`,
      );
    }
    const version = Number(match[1]);
    const clash = files.find((f) => f.version === version);
    if (clash) {
      throw new ServiceError(
        Code.INVALID_ARGUMENT,
        `migrations ${clash.file} and ${entry} of ${namespace} have the same version`,
      );
    }
    const sql = await readFile(join(dir, entry), "utf8");
    // Line endings are normalised so a checkout with CRLF does not count as a change.
    const checksum = createHash("sha256").update(sql.replaceAll("\r\n", "\n")).digest("hex");
    files.push({ version, name: match[2]!, file: entry, sql, checksum });
  }
  return files.sort((a, b) => a.version - b.version);
}

async function acquireLock(
  client: PoolClient,
  namespace: string,
  timeoutMs: number,
  logger: Logger,
): Promise<void> {
  // Polling pg_try_advisory_lock instead of waiting in pg_advisory_lock keeps the wait
  // outside any statement_timeout and gives it a deadline of its own.
  const deadline = Date.now() + timeoutMs;
  let logged = false;
  for (;;) {
    const { rows } = await client.query<{ locked: boolean }>(
      "SELECT pg_try_advisory_lock($1::bigint) AS locked",
      [MIGRATION_LOCK_KEY],
    );
    if (rows[0]?.locked) return;
    if (Date.now() >= deadline) {
      throw new ServiceError(
        Code.DEADLINE_EXCEEDED,
        `migrations of ${namespace}: another migrator held the lock for over ${timeoutMs} ms`,
      );
    }
    if (!logged) {
      logger.info({ namespace }, "waiting for another migrator to finish");
      logged = true;
    }
    await sleep(LOCK_POLL_MS);
  }
}

async function appliedChecksums(client: PoolClient, namespace: string) {
  const { rows } = await client.query<{ version: number; checksum: string }>(
    "SELECT version, checksum FROM schema_migrations WHERE namespace = $1",
    [namespace],
  );
  return new Map(rows.map((r) => [r.version, r.checksum]));
}

async function applyOne(client: PoolClient, namespace: string, file: MigrationFile) {
  try {
    await client.query("BEGIN");
    // Without parameters, pg sends the file as one simple query: several statements run.
    await client.query(file.sql);
    await client.query(
      "INSERT INTO schema_migrations (namespace, version, name, checksum) VALUES ($1, $2, $3, $4)",
      [namespace, file.version, file.name, file.checksum],
    );
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    const mapped = toServiceError(error);
    const reason = (error as Error | undefined)?.message ?? String(error);
    throw new ServiceError(
      mapped.code,
      `migration ${file.file} of ${namespace} failed: ${reason}`,
      { cause: error },
    );
  }
}

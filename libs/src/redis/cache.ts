import { ServiceError } from "../errors";

/**
 * A read-through cache of JSON values (with bigint and Date, see cache-codec.ts).
 * Implementations: createRedisCache (shared by replicas) and createMemoryCache
 * (one process); both pass the same contract tests.
 *
 * The cache is an optimisation and never a source of truth: when its store is down,
 * reads miss and writes are dropped, so callers fall through to the database.
 */
export interface Cache {
  /** The value stored under `key`, or undefined on a miss (or when the store is down). */
  get<T>(key: string): Promise<T | undefined>;
  /** Stores `value` for `ttlMs`. An undefined value is not stored. */
  set(key: string, value: unknown, ttlMs: number): Promise<void>;
  /**
   * Removes the keys, and makes loads of them already running discard their result,
   * so a value read from the database before a write cannot land after it. Call it
   * after the write has committed.
   */
  invalidate(...keys: string[]): Promise<void>;
  /**
   * The cached value, or `loader()`'s stored for `ttlMs`. Concurrent misses of one key
   * in this process share one call of `loader`. A loader's error reaches every waiter
   * and is not cached; an undefined result is returned but not cached.
   */
  getOrLoad<T>(key: string, ttlMs: number, loader: () => Promise<T>): Promise<T>;
}

/** Rejects a TTL Redis could not take (PX needs a positive integer). */
export function checkTtl(ttlMs: number): number {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw ServiceError.invalidArgument([
      { field: "ttlMs", description: `must be a positive number of milliseconds, got ${ttlMs}` },
    ]);
  }
  return Math.ceil(ttlMs);
}

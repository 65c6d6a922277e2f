import { type Cache, checkTtl } from "./cache";
import { decodeCacheValue, encodeCacheValue } from "./cache-codec";
import { createExpiringMap } from "./expiring-map";
import { createSingleFlight } from "./single-flight";

export interface MemoryCacheOptions {
  /** Prepended to every key, like the Redis cache's (default ""). */
  prefix?: string;
  /** Entries kept at most; the least recently written go first (default 10,000). */
  maxEntries?: number;
}

/**
 * The in-process Cache, for the embedded mode and tests. Every load of this cache runs
 * in this process, so a flag on the running load is enough to keep an invalidated
 * load from storing its result (the Redis cache needs a generation key instead).
 */
export function createMemoryCache(options: MemoryCacheOptions = {}): Cache {
  const prefix = options.prefix ?? "";
  const entries = createExpiringMap<string>(options.maxEntries ?? 10_000);
  const flights = createSingleFlight();

  const write = (key: string, value: unknown, ttlMs: number) => {
    if (value !== undefined) entries.set(key, encodeCacheValue(value), ttlMs);
  };

  return {
    async get<T>(key: string) {
      const text = entries.get(prefix + key);
      return text === undefined ? undefined : decodeCacheValue<T>(text);
    },
    async set(key, value, ttlMs) {
      write(prefix + key, value, checkTtl(ttlMs));
    },
    async invalidate(...keys) {
      for (const key of keys) {
        entries.delete(prefix + key);
        flights.invalidate(prefix + key);
      }
    },
    async getOrLoad<T>(key: string, ttlMs: number, loader: () => Promise<T>) {
      const ttl = checkTtl(ttlMs);
      const k = prefix + key;
      const text = entries.get(k);
      if (text !== undefined) return decodeCacheValue<T>(text);
      return flights.run(k, async (flight) => {
        const value = await loader();
        if (!flight.stale) write(k, value, ttl);
        return value;
      });
    },
  };
}

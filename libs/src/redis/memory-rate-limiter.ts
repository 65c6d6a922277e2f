import { createExpiringMap } from "./expiring-map";
import { checkRateLimit, gcraStep, type RateLimiter } from "./rate-limiter";

export interface MemoryRateLimiterOptions {
  /** Prepended to every key, like the Redis limiter's (default ""). */
  prefix?: string;
  /** Keys tracked at most; beyond that the least recently used start afresh (default 100,000). */
  maxKeys?: number;
}

/** The in-process RateLimiter, for the embedded mode and tests: same GCRA as in Redis. */
export function createMemoryRateLimiter(options: MemoryRateLimiterOptions = {}): RateLimiter {
  const prefix = options.prefix ?? "";
  const arrivals = createExpiringMap<number>(options.maxKeys ?? 100_000);
  return {
    async consume(key, rule) {
      const checked = checkRateLimit(rule);
      const k = prefix + key;
      const now = performance.now();
      const { result, store } = gcraStep(arrivals.get(k), now, checked);
      if (store !== undefined) arrivals.set(k, store, store - now);
      return result;
    },
  };
}

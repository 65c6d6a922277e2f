import {
  type AttemptThrottle,
  type AttemptThrottleRules,
  checkThrottleRules,
  IN_FLIGHT_RETRY_MS,
} from "./attempt-throttle";
import { createExpiringMap } from "./expiring-map";

export interface MemoryAttemptThrottleOptions extends AttemptThrottleRules {
  /** Prepended to every key, like the Redis throttle's (default ""). */
  prefix?: string;
  /** Keys tracked at most (default 100,000). */
  maxKeys?: number;
}

/** The in-process AttemptThrottle, for the embedded mode and tests. */
export function createMemoryAttemptThrottle(
  options: MemoryAttemptThrottleOptions,
): AttemptThrottle {
  const { maxFailures, windowMs, lockoutMs, placeTtlMs } = checkThrottleRules(options);
  const prefix = options.prefix ?? "";
  const failures = createExpiringMap<number>(options.maxKeys ?? 100_000);
  const lockouts = createExpiringMap<true>(options.maxKeys ?? 100_000);
  const inFlight = createExpiringMap<number>(options.maxKeys ?? 100_000);

  const state = (key: string) => {
    const retryAfterMs = Math.ceil(lockouts.ttl(key));
    return { blocked: retryAfterMs > 0, retryAfterMs };
  };

  const settle = (k: string) => {
    const places = inFlight.get(k) ?? 0;
    if (places > 1) inFlight.set(k, places - 1, inFlight.ttl(k));
    else inFlight.delete(k);
  };

  return {
    async check(key) {
      return state(prefix + key);
    },
    async reserve(key) {
      const k = prefix + key;
      const current = state(k);
      if (current.blocked) return current;
      const places = inFlight.get(k) ?? 0;
      if ((failures.get(k) ?? 0) + places >= maxFailures) {
        return { blocked: true, retryAfterMs: IN_FLIGHT_RETRY_MS };
      }
      inFlight.set(k, places + 1, placeTtlMs);
      return current;
    },
    async release(key) {
      settle(prefix + key);
    },
    async recordFailure(key) {
      const k = prefix + key;
      settle(k);
      const current = state(k);
      if (current.blocked) return current;
      const count = (failures.get(k) ?? 0) + 1;
      if (count >= maxFailures) {
        failures.delete(k);
        lockouts.set(k, true, lockoutMs);
        return { blocked: true, retryAfterMs: lockoutMs };
      }
      // The window opens at the first failure and is not extended by later ones.
      failures.set(k, count, count === 1 ? windowMs : failures.ttl(k));
      return current;
    },
    async reset(key) {
      failures.delete(prefix + key);
      lockouts.delete(prefix + key);
    },
  };
}

import type { Redis } from "ioredis";
import { Code, ServiceError } from "../errors";
import { createLuaScript } from "./lua-script";
import { checkRateLimit, GCRA_LUA, type RateLimiter } from "./rate-limiter";

export interface RedisRateLimiterOptions {
  /** From createRedis. */
  redis: Redis;
  /** Prepended to every key, e.g. "api-gateway:rate:"; tests use a random one. */
  prefix: string;
}

const GCRA = createLuaScript(GCRA_LUA);

/**
 * The RateLimiter shared by replicas: one Lua script per call, so check and update are
 * atomic and every replica counts against the same budget, timed by the Redis clock.
 * When Redis cannot answer it throws ServiceError UNAVAILABLE; the caller decides
 * whether to fail open (the gateway does) or closed.
 */
export function createRedisRateLimiter(options: RedisRateLimiterOptions): RateLimiter {
  const { redis, prefix } = options;
  return {
    async consume(key, rule) {
      const { limit, windowMs, cost } = checkRateLimit(rule);
      let reply: unknown;
      try {
        reply = await GCRA.run(redis, [prefix + key], [limit, windowMs, cost]);
      } catch (error) {
        throw new ServiceError(
          Code.UNAVAILABLE,
          "the rate limiter's store (redis) is unavailable",
          {
            cause: error,
          },
        );
      }
      const [allowed, remaining, resetMs, retryAfterMs] = reply as number[];
      return {
        allowed: allowed === 1,
        limit,
        remaining: Number(remaining),
        resetMs: Number(resetMs),
        retryAfterMs: Number(retryAfterMs),
      };
    },
  };
}

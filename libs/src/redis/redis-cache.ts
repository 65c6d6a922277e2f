import type { Redis } from "ioredis";
import type { Logger } from "../logging";
import { type Cache, checkTtl } from "./cache";
import { decodeCacheValue, encodeCacheValue } from "./cache-codec";
import { createLuaScript } from "./lua-script";
import { createSingleFlight } from "./single-flight";

export interface RedisCacheOptions {
  /** From createRedis; give it a `commandTimeoutMs` so a hung server reads as a miss. */
  redis: Redis;
  /** Prepended to every key, e.g. "product-service:cache:"; tests use a random one. */
  prefix: string;
  logger: Logger;
  /** Called with every failed Redis command, e.g. to count them in a metric. */
  onError?: (error: unknown) => void;
}

/*
 * Invalidation against slow loads. A load reads the database, then stores what it read;
 * if a write and its invalidate land in between, storing would resurrect the old value
 * until the TTL ends. So each key has a generation counter next to it: invalidate
 * deletes the value and increments the generation (one script, atomic); a load reads
 * value and generation together (MGET) before calling the loader, and stores only if
 * the generation is still the one it saw (a compare-and-set script). This holds across
 * replicas, which an in-process flag could not. The generation outlives any load
 * (an hour); should it expire, it reads as "0" again, which only a load running for
 * that whole hour could mistake for its own.
 */
const GENERATION_TTL_MS = 3_600_000;

// KEYS[1] value, KEYS[2] generation. ARGV: generation seen, encoded value, TTL in ms.
const SET_IF_GENERATION = createLuaScript(`
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`);

// KEYS: value1, generation1, value2, generation2, ... ARGV[1]: generation TTL in ms.
const INVALIDATE = createLuaScript(`
for i = 1, #KEYS, 2 do
  redis.call('DEL', KEYS[i])
  redis.call('INCR', KEYS[i + 1])
  redis.call('PEXPIRE', KEYS[i + 1], ARGV[1])
end
return 0
`);

/**
 * The Cache shared by a service's replicas. When Redis is down or slow to answer, `get`
 * misses, `set` and `invalidate` do nothing, and `getOrLoad` returns the loader's value
 * without storing it; the first failure of an outage is logged, and every one is
 * passed to `onError`. Keys are `prefix + key`, generations `prefix + "#gen:" + key`.
 */
export function createRedisCache(options: RedisCacheOptions): Cache {
  const { redis, prefix, logger } = options;
  const flights = createSingleFlight();
  const valueKey = (key: string) => prefix + key;
  const generationKey = (key: string) => `${prefix}#gen:${key}`;

  let degraded = false;
  const failed = (error: unknown) => {
    options.onError?.(error);
    if (degraded) return;
    degraded = true;
    logger.warn({ err: error, prefix }, "cache unavailable: reads miss and writes are dropped");
  };
  const succeeded = () => {
    if (!degraded) return;
    degraded = false;
    logger.info({ prefix }, "cache available again");
  };
  // A value another writer stored in a shape we cannot read is a miss, not an error.
  const decode = <T>(text: string | null | undefined): T | undefined => {
    if (text === null || text === undefined) return undefined;
    try {
      return decodeCacheValue<T>(text);
    } catch {
      return undefined;
    }
  };

  return {
    async get<T>(key: string) {
      try {
        const text = await redis.get(valueKey(key));
        succeeded();
        return decode<T>(text);
      } catch (error) {
        failed(error);
        return undefined;
      }
    },

    async set(key, value, ttlMs) {
      const ttl = checkTtl(ttlMs);
      if (value === undefined) return;
      try {
        await redis.set(valueKey(key), encodeCacheValue(value), "PX", ttl);
        succeeded();
      } catch (error) {
        failed(error);
      }
    },

    async invalidate(...keys) {
      if (keys.length === 0) return;
      for (const key of keys) flights.invalidate(valueKey(key));
      try {
        const redisKeys = keys.flatMap((key) => [valueKey(key), generationKey(key)]);
        await INVALIDATE.run(redis, redisKeys, [GENERATION_TTL_MS]);
        succeeded();
      } catch (error) {
        failed(error);
      }
    },

    async getOrLoad<T>(key: string, ttlMs: number, loader: () => Promise<T>) {
      const ttl = checkTtl(ttlMs);
      return flights.run(valueKey(key), async (flight) => {
        let generation: string | undefined;
        try {
          const [text, seen] = await redis.mget(valueKey(key), generationKey(key));
          succeeded();
          const cached = decode<T>(text);
          if (cached !== undefined) return cached;
          generation = seen ?? "0";
        } catch (error) {
          failed(error);
        }
        const value = await loader();
        // Without a generation (Redis was down when the load began) the store is skipped:
        // an invalidate during the outage could not be seen.
        if (generation === undefined || flight.stale || value === undefined) return value;
        try {
          await SET_IF_GENERATION.run(
            redis,
            [valueKey(key), generationKey(key)],
            [generation, encodeCacheValue(value), ttl],
          );
          succeeded();
        } catch (error) {
          failed(error);
        }
        return value;
      });
    },
  };
}

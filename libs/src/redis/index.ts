export type {
  AttemptThrottle,
  AttemptThrottleRules,
  ThrottleState,
} from "./attempt-throttle";
export { ATTEMPT_PLACE_TTL_MS, IN_FLIGHT_RETRY_MS } from "./attempt-throttle";
export type { Cache } from "./cache";
export { decodeCacheValue, encodeCacheValue } from "./cache-codec";
export {
  closeRedis,
  createRedis,
  type Redis,
  type RedisConfig,
  redisIsUp,
  whenRedisReady,
} from "./create-redis";
export { deleteKeysWithPrefix } from "./delete-keys";
export { createLuaScript, type LuaScript } from "./lua-script";
export {
  createMemoryAttemptThrottle,
  type MemoryAttemptThrottleOptions,
} from "./memory-attempt-throttle";
export { createMemoryCache, type MemoryCacheOptions } from "./memory-cache";
export { createMemoryRateLimiter, type MemoryRateLimiterOptions } from "./memory-rate-limiter";
export { type PrivateRedisServer, startPrivateRedisServer } from "./private-redis-server";
export type { RateLimit, RateLimiter, RateLimitResult } from "./rate-limiter";
export {
  createRedisAttemptThrottle,
  type RedisAttemptThrottleOptions,
} from "./redis-attempt-throttle";
export { createRedisCache, type RedisCacheOptions } from "./redis-cache";
export { createRedisRateLimiter, type RedisRateLimiterOptions } from "./redis-rate-limiter";

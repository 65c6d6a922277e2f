import type { Redis } from "ioredis";
import { Code, ServiceError } from "../errors";
import {
  type AttemptThrottle,
  type AttemptThrottleRules,
  checkThrottleRules,
  IN_FLIGHT_RETRY_MS,
  type ThrottleState,
} from "./attempt-throttle";
import { createLuaScript } from "./lua-script";

export interface RedisAttemptThrottleOptions extends AttemptThrottleRules {
  /** From createRedis. */
  redis: Redis;
  /** Prepended to every key, e.g. "user-service:login:"; tests use a random one. */
  prefix: string;
}

// Each a single script, so replicas racing on the same key cannot both miss the limit.
// KEYS[1] failure count, KEYS[2] lockout, KEYS[3] places in flight.

// Settles one place in flight, if any is still held (one may have expired).
const SETTLE = `
if tonumber(redis.call('GET', KEYS[3]) or '0') > 0 then redis.call('DECR', KEYS[3]) end
`;

// ARGV maxFailures, place TTL, in-flight retry delay.
const RESERVE = createLuaScript(`
local locked = redis.call('PTTL', KEYS[2])
if locked > 0 then return {1, locked} end
local failures = tonumber(redis.call('GET', KEYS[1]) or '0')
local places = tonumber(redis.call('GET', KEYS[3]) or '0')
if failures + places >= tonumber(ARGV[1]) then return {1, tonumber(ARGV[3])} end
redis.call('INCR', KEYS[3])
redis.call('PEXPIRE', KEYS[3], ARGV[2])
return {0, 0}
`);

const RELEASE = createLuaScript(SETTLE);

// ARGV maxFailures, windowMs, lockoutMs.
const RECORD_FAILURE = createLuaScript(`${SETTLE}
local locked = redis.call('PTTL', KEYS[2])
if locked > 0 then return {1, locked} end
local failures = redis.call('INCR', KEYS[1])
if failures == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if failures >= tonumber(ARGV[1]) then
  redis.call('DEL', KEYS[1])
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  return {1, tonumber(ARGV[3])}
end
return {0, 0}
`);

/**
 * The AttemptThrottle shared by replicas. Keys are `prefix + "f:" + key` (the failure
 * count), `prefix + "l:" + key` (the lockout) and `prefix + "p:" + key` (the places in
 * flight). When Redis cannot answer it throws
 * ServiceError UNAVAILABLE; the caller decides whether to let the attempt through.
 */
export function createRedisAttemptThrottle(options: RedisAttemptThrottleOptions): AttemptThrottle {
  const { maxFailures, windowMs, lockoutMs, placeTtlMs } = checkThrottleRules(options);
  const { redis, prefix } = options;
  const failureKey = (key: string) => `${prefix}f:${key}`;
  const lockoutKey = (key: string) => `${prefix}l:${key}`;
  const keys = (key: string) => [failureKey(key), lockoutKey(key), `${prefix}p:${key}`];

  const unavailable = (error: unknown) =>
    new ServiceError(Code.UNAVAILABLE, "the attempt throttle's store (redis) is unavailable", {
      cause: error,
    });
  const stateFrom = (blocked: boolean, retryAfterMs: number): ThrottleState =>
    blocked ? { blocked, retryAfterMs } : { blocked: false, retryAfterMs: 0 };

  return {
    async check(key) {
      try {
        const ttl = await redis.pttl(lockoutKey(key));
        return stateFrom(ttl > 0, ttl);
      } catch (error) {
        throw unavailable(error);
      }
    },
    async reserve(key) {
      try {
        const reply = (await RESERVE.run(redis, keys(key), [
          maxFailures,
          placeTtlMs,
          IN_FLIGHT_RETRY_MS,
        ])) as number[];
        return stateFrom(reply[0] === 1, Number(reply[1]));
      } catch (error) {
        throw unavailable(error);
      }
    },
    async recordFailure(key) {
      try {
        const reply = (await RECORD_FAILURE.run(redis, keys(key), [
          maxFailures,
          windowMs,
          lockoutMs,
        ])) as number[];
        return stateFrom(reply[0] === 1, Number(reply[1]));
      } catch (error) {
        throw unavailable(error);
      }
    },
    async release(key) {
      try {
        await RELEASE.run(redis, keys(key), []);
      } catch (error) {
        throw unavailable(error);
      }
    },
    async reset(key) {
      try {
        await redis.del(failureKey(key), lockoutKey(key));
      } catch (error) {
        throw unavailable(error);
      }
    },
  };
}

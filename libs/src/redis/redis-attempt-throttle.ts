import type { Redis } from "ioredis";
import { Code, ServiceError } from "../errors";
import {
  type AttemptThrottle,
  type AttemptThrottleRules,
  checkThrottleRules,
  type ThrottleState,
} from "./attempt-throttle";
import { createLuaScript } from "./lua-script";

export interface RedisAttemptThrottleOptions extends AttemptThrottleRules {
  /** From createRedis. */
  redis: Redis;
  /** Prepended to every key, e.g. "user-service:login:"; tests use a random one. */
  prefix: string;
}

// KEYS[1] failure count, KEYS[2] lockout. ARGV maxFailures, windowMs, lockoutMs.
// One script, so replicas counting the same key at once cannot both miss the limit.
const RECORD_FAILURE = createLuaScript(`
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
 * count) and `prefix + "l:" + key` (the lockout). When Redis cannot answer it throws
 * ServiceError UNAVAILABLE; the caller decides whether to let the attempt through.
 */
export function createRedisAttemptThrottle(options: RedisAttemptThrottleOptions): AttemptThrottle {
  const { maxFailures, windowMs, lockoutMs } = checkThrottleRules(options);
  const { redis, prefix } = options;
  const failureKey = (key: string) => `${prefix}f:${key}`;
  const lockoutKey = (key: string) => `${prefix}l:${key}`;

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
    async recordFailure(key) {
      try {
        const reply = (await RECORD_FAILURE.run(
          redis,
          [failureKey(key), lockoutKey(key)],
          [maxFailures, windowMs, lockoutMs],
        )) as number[];
        return stateFrom(reply[0] === 1, Number(reply[1]));
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

import { ServiceError } from "../errors";

/** `limit` units per `windowMs`; a request costs `cost` units (default 1). */
export interface RateLimit {
  limit: number;
  windowMs: number;
  cost?: number;
}

export interface RateLimitResult {
  allowed: boolean;
  limit: number;
  /** Units that could be consumed right now after this call. */
  remaining: number;
  /** Milliseconds until the key is back to its full `limit`. */
  resetMs: number;
  /** When denied, milliseconds until this request's cost would be allowed; else 0. */
  retryAfterMs: number;
}

/**
 * A rate limiter shared by whoever shares its store. Implementations:
 * createRedisRateLimiter (atomic across gateway replicas) and createMemoryRateLimiter.
 *
 * The algorithm is GCRA (the generic cell rate algorithm, as in redis-cell): a key holds
 * one number, its "theoretical arrival time". A fresh key allows a burst of `limit`,
 * after which capacity comes back smoothly, one unit every `windowMs / limit`, rather
 * than all at once at a window boundary (no double burst at the edge of fixed windows),
 * in O(1) memory per key (unlike a sliding log). A denied request consumes nothing.
 */
export interface RateLimiter {
  /** Consumes `cost` units of `key` if they are available. */
  consume(key: string, rule: RateLimit): Promise<RateLimitResult>;
}

/** The rule with its cost filled in, after checking it can ever be met. */
export function checkRateLimit(rule: RateLimit): Required<RateLimit> {
  const cost = rule.cost ?? 1;
  const problems: { field: string; description: string }[] = [];
  const limitOk = Number.isInteger(rule.limit) && rule.limit >= 1;
  if (!limitOk) problems.push({ field: "limit", description: "must be a positive integer" });
  if (!Number.isFinite(rule.windowMs) || rule.windowMs <= 0) {
    problems.push({ field: "windowMs", description: "must be a positive number" });
  }
  if (!Number.isInteger(cost) || cost < 1 || (limitOk && cost > rule.limit)) {
    problems.push({ field: "cost", description: "must be an integer from 1 to limit" });
  }
  if (problems.length > 0) throw ServiceError.invalidArgument(problems);
  return { limit: rule.limit, windowMs: rule.windowMs, cost };
}

/**
 * Tolerance for floating-point error (a thousandth of a millisecond): `limit` steps of
 * `windowMs / limit` must add up to no more than `windowMs`.
 */
const EPSILON_MS = 0.001;

/**
 * One GCRA step, the same arithmetic as the Lua script of the Redis limiter.
 * @param stored the key's arrival time, or undefined for a fresh key
 * @returns the result, and the arrival time to store when allowed
 */
export function gcraStep(
  stored: number | undefined,
  now: number,
  rule: Required<RateLimit>,
): { result: RateLimitResult; store?: number } {
  const { limit, windowMs, cost } = rule;
  const interval = windowMs / limit;
  const tat = Math.max(stored ?? now, now);
  const next = tat + cost * interval;
  const remainingAt = (at: number) =>
    Math.max(0, Math.floor((windowMs + EPSILON_MS - (at - now)) / interval));
  if (next - now > windowMs + EPSILON_MS) {
    const result = {
      allowed: false,
      limit,
      remaining: remainingAt(tat),
      resetMs: Math.ceil(tat - now),
      retryAfterMs: Math.ceil(next - windowMs - now),
    };
    return { result };
  }
  const result = {
    allowed: true,
    limit,
    remaining: remainingAt(next),
    resetMs: Math.ceil(next - now),
    retryAfterMs: 0,
  };
  return { result, store: next };
}

/** GCRA in Lua: KEYS[1] the arrival time; ARGV limit, windowMs, cost. Time is the server's. */
export const GCRA_LUA = `
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local eps = ${EPSILON_MS}
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local interval = window / limit
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local nextTat = tat + cost * interval
local function remainingAt(at)
  return math.max(0, math.floor((window + eps - (at - now)) / interval))
end
if nextTat - now > window + eps then
  return {0, remainingAt(tat), math.ceil(tat - now), math.ceil(nextTat - window - now)}
end
redis.call('SET', KEYS[1], string.format('%.17g', nextTat), 'PX', math.max(1, math.ceil(nextTat - now)))
return {1, remainingAt(nextTat), math.ceil(nextTat - now), 0}
`;

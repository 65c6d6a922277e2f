/**
 * Per-route-group rate limits on libs' RateLimiter (GCRA in Redis, shared by every
 * gateway replica): per user for calls with a verified token, per client IP otherwise,
 * and named groups (the credentials routes) keyed as they say. Every answer carries
 * RateLimit-Limit/Remaining/Reset; a refusal is 429 with Retry-After.
 *
 * When Redis cannot answer the call goes through (fail open): a limiter outage must
 * not take the API down. Each such call is counted in a metric, and logged at most
 * once a minute.
 */
import type { UserIdentity } from "@shop/libs/auth";
import { Code } from "@shop/libs/errors";
import type { Logger } from "@shop/libs/logging";
import type { RateLimiter, RateLimitResult } from "@shop/libs/redis";
import { Counter, type Registry } from "prom-client";
import type { GatewayConfig, RateLimitRule } from "../config/gateway-config";
import { EdgeError } from "./edge-error";

export interface RateLimitGroup {
  readonly name: string;
  readonly key: "client-ip" | "user";
  readonly rule: RateLimitRule;
  /** Full RPC names ("pkg.Service/Method") or route ids in this group. */
  readonly targets: readonly string[];
}

export interface RateLimitPolicy {
  /** Groups for particular targets, looked up first. */
  readonly groups: readonly RateLimitGroup[];
  /** Calls with a verified user; null: unlimited. */
  readonly authenticated: RateLimitRule | null;
  /** Calls without one; null: unlimited. */
  readonly anonymous: RateLimitRule | null;
}

/** The policy the environment describes (later: the gateway's rendered policy). */
export function rateLimitPolicyFromConfig(config: GatewayConfig): RateLimitPolicy {
  const credentials = config.RATE_LIMIT_CREDENTIALS;
  return {
    groups: credentials
      ? [
          {
            name: "credentials",
            key: "client-ip",
            rule: credentials,
            targets: config.RATE_LIMIT_CREDENTIALS_RPCS,
          },
        ]
      : [],
    authenticated: config.RATE_LIMIT_AUTHENTICATED,
    anonymous: config.RATE_LIMIT_ANONYMOUS,
  };
}

export interface EdgeRateLimits {
  /**
   * Counts one call of `target` and resolves the RateLimit-* headers to send, or
   * rejects with EdgeError RESOURCE_EXHAUSTED (429, Retry-After).
   */
  consume(
    target: string,
    user: UserIdentity | undefined,
    clientIp: string,
  ): Promise<Record<string, string>>;
}

const LOG_EVERY_MS = 60_000;

export function createRateLimits(options: {
  limiter: RateLimiter;
  policy: RateLimitPolicy;
  logger: Logger;
  registry: Registry;
}): EdgeRateLimits {
  const { limiter, policy, logger } = options;
  const limited = new Counter({
    name: "gateway_rate_limited_total",
    help: "Calls refused with 429, by rate-limit group.",
    labelNames: ["group"],
    registers: [options.registry],
  });
  const failOpen = new Counter({
    name: "gateway_rate_limit_fail_open_total",
    help: "Calls let through unchecked because the rate limiter's store was unavailable.",
    labelNames: ["group"],
    registers: [options.registry],
  });
  const byTarget = new Map<string, RateLimitGroup>();
  for (const group of policy.groups) for (const t of group.targets) byTarget.set(t, group);
  let lastLogged = Number.NEGATIVE_INFINITY;

  return {
    async consume(target, user, clientIp) {
      const group = byTarget.get(target);
      const name = group?.name ?? (user ? "authenticated" : "anonymous");
      const rule = group ? group.rule : user ? policy.authenticated : policy.anonymous;
      if (!rule) return {};
      const byUser = group ? group.key === "user" && user !== undefined : user !== undefined;
      const key = `${name}:${byUser ? `user:${user!.userId}` : `ip:${clientIp}`}`;
      let result: RateLimitResult;
      try {
        result = await limiter.consume(key, { limit: rule.limit, windowMs: rule.windowMs });
      } catch (error) {
        failOpen.inc({ group: name });
        if (Date.now() - lastLogged >= LOG_EVERY_MS) {
          lastLogged = Date.now();
          logger.warn(
            { err: error, group: name },
            "rate limiter unavailable: letting calls through",
          );
        }
        return {};
      }
      const headers = rateLimitHeaders(result);
      if (result.allowed) return headers;
      limited.inc({ group: name });
      const retryAfterSec = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
      throw new EdgeError(Code.RESOURCE_EXHAUSTED, `rate limit exceeded (${name}): retry later`, {
        retryAfterMs: result.retryAfterMs,
        headers: { ...headers, "retry-after": String(retryAfterSec) },
      });
    },
  };
}

/** draft-ietf-httpapi-ratelimit-headers: limit, units left, seconds until full again. */
function rateLimitHeaders(result: RateLimitResult): Record<string, string> {
  return {
    "ratelimit-limit": String(result.limit),
    "ratelimit-remaining": String(result.remaining),
    "ratelimit-reset": String(Math.ceil(result.resetMs / 1000)),
  };
}

/**
 * The gateway's configuration, parsed once from the environment: libs' common service
 * variables (ports 8000/9000, backend addresses, Redis, JWKS, service key) plus the
 * edge's own. Malformed values stop the process naming the variable.
 */
import { type Env, env, parseDurationMs, parseEnv } from "@shop/libs/config";
import { serviceEnvShape } from "@shop/libs/service";

/** A rate-limit rule "<limit>/<window>" ("300/1m"), or "off". */
export interface RateLimitRule {
  readonly limit: number;
  readonly windowMs: number;
}

const MIN_INTERVAL_MS = 0.001;

const rateLimitRule = () =>
  env.string().transform((text, ctx): RateLimitRule | null => {
    if (text === "off") return null;
    const match = /^(\d+)\/(.+)$/.exec(text.trim());
    const limit = match ? Number(match[1]) : 0;
    const windowMs = match ? parseDurationMs(match[2]!) : undefined;
    if (!match || limit < 1 || !Number.isSafeInteger(limit) || !windowMs) {
      ctx.addIssue({ code: "custom", message: `expected "<limit>/<window>" like 300/1m, or off` });
      return null;
    }
    // GCRA spaces calls windowMs/limit apart on a millisecond clock held in a double:
    // finer than a microsecond the spacing is lost and Redis refuses the key's expiry.
    if (windowMs / limit < MIN_INTERVAL_MS) {
      ctx.addIssue({
        code: "custom",
        message: "at most 1000 calls per millisecond; use off for no limit",
      });
      return null;
    }
    return { limit, windowMs };
  });

const list = () =>
  env.string().transform((text) =>
    text
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== ""),
  );

const percent = () =>
  env.string().transform((text, ctx) => {
    const value = /^\d+(\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
    if (!(value >= 1 && value <= 100)) ctx.addIssue({ code: "custom", message: "expected 1-100" });
    return value;
  });

export function gatewayEnvShape() {
  return {
    ...serviceEnvShape("api-gateway"),
    /** Largest request body in bytes; larger ones get 413. */
    BODY_LIMIT: env.int(1, 64 * 1024 * 1024).default(1024 * 1024),
    /** Per client IP, for calls without a user. */
    RATE_LIMIT_ANONYMOUS: rateLimitRule().default({ limit: 300, windowMs: 60_000 }),
    /** Per user, for calls with a verified access token. */
    RATE_LIMIT_AUTHENTICATED: rateLimitRule().default({ limit: 1200, windowMs: 60_000 }),
    /** Per client IP, for the RPCs in RATE_LIMIT_CREDENTIALS_RPCS (brute-force guard). */
    RATE_LIMIT_CREDENTIALS: rateLimitRule().default({ limit: 20, windowMs: 60_000 }),
    RATE_LIMIT_CREDENTIALS_RPCS: list().default([
      "shop.user.v1.UserService/Login",
      "shop.user.v1.UserService/Register",
    ]),
    /** Override every backend's breaker; otherwise runtime config, then built-in defaults. */
    BREAKER_ERROR_THRESHOLD_PERCENT: percent().optional(),
    BREAKER_VOLUME_THRESHOLD: env.int(1, 1_000_000).optional(),
    BREAKER_RESET_TIMEOUT: env.durationMs().optional(),
    /** The rolling window the error rate is measured over. */
    BREAKER_WINDOW: env.durationMs().default(10_000),
    /** RPCs whose last good response is served while their backend is down (public GETs). */
    STALE_FALLBACK_RPCS: list().default([
      "shop.product.v1.ProductService/ListProducts",
      "shop.product.v1.ProductService/GetProduct",
    ]),
    STALE_CACHE_ENTRIES: env.int(0, 1_000_000).default(1_000),
    STALE_CACHE_MAX_BYTES: env.int(0, 1024 * 1024 * 1024).default(16 * 1024 * 1024),
    STALE_MAX_AGE: env.durationMs().default(3_600_000),
    /** false: the policy's response cache (the runtime config's responseCache) is off. */
    RESPONSE_CACHE: env.bool().default(true),
    RESPONSE_CACHE_ENTRIES: env.int(0, 10_000_000).default(10_000),
    RESPONSE_CACHE_MAX_BYTES: env.int(0, 4 * 1024 * 1024 * 1024).default(64 * 1024 * 1024),
    /** Deadline of an aggregation route when the client sets none. */
    AGGREGATION_TIMEOUT: env.durationMs().default(3_000),
    /** Origins allowed to call from a browser ("*" for any); empty: no CORS headers. */
    CORS_ALLOW_ORIGINS: list().default([]),
    CORS_ALLOW_HEADERS: list().default([
      "authorization",
      "content-type",
      "idempotency-key",
      "x-request-id",
      "traceparent",
      "tracestate",
      "grpc-timeout",
      // Connect and gRPC-Web from browsers.
      "connect-protocol-version",
      "connect-timeout-ms",
      "x-grpc-web",
      "x-user-agent",
    ]),
    CORS_EXPOSE_HEADERS: list().default([
      "x-request-id",
      "retry-after",
      "ratelimit-limit",
      "ratelimit-remaining",
      "ratelimit-reset",
      "x-gateway-fallback",
      "x-gateway-cache",
      "etag",
      // gRPC-Web carries a failure's status in headers when there is no body.
      "grpc-status",
      "grpc-message",
      "grpc-status-details-bin",
    ]),
    CORS_MAX_AGE: env.durationMs().default(600_000),
    CORS_ALLOW_CREDENTIALS: env.bool().default(false),
    /** Proxies in front of the gateway whose X-Forwarded-For entries are trusted. */
    TRUST_PROXY_HOPS: env.int(0, 10).default(0),
    /** Longest pause between reconnect attempts to a backend that went away. */
    BACKEND_RECONNECT_MAX: env.durationMs().default(2_000),
  };
}

export function parseGatewayConfig(environment: Env) {
  return parseEnv(gatewayEnvShape(), environment);
}

export type GatewayConfig = ReturnType<typeof parseGatewayConfig>;

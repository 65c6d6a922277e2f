/**
 * CORS for browser clients: configured origins (or "*") get Access-Control-* headers on
 * answers and on preflights. A preflight is answered from the routes: the methods
 * allowed are the ones the path has. Origins not listed get no CORS headers, and the
 * browser keeps the answer from the page.
 */
export interface CorsPolicy {
  readonly allowOrigins: readonly string[];
  readonly allowHeaders: readonly string[];
  readonly exposeHeaders: readonly string[];
  readonly maxAgeMs: number;
  readonly allowCredentials: boolean;
}

export interface Cors {
  /** Headers for an answer to a request from `origin` (none when not allowed). */
  headers(origin: string | undefined): Record<string, string>;
  /** Headers for a preflight from `origin` asking for a path with `methods`. */
  preflight(origin: string | undefined, methods: readonly string[]): Record<string, string>;
}

export function createCors(policy: CorsPolicy): Cors {
  const any = policy.allowOrigins.includes("*");
  const origins = new Set(policy.allowOrigins);
  const allowedOrigin = (origin: string | undefined): string | undefined => {
    if (origin === undefined) return undefined;
    if (origins.has(origin)) return origin;
    // With credentials a wildcard is not allowed: the origin is echoed instead.
    if (any) return policy.allowCredentials ? origin : "*";
    return undefined;
  };
  const base = (origin: string): Record<string, string> => ({
    "access-control-allow-origin": origin,
    ...(origin === "*" ? {} : { vary: "Origin" }),
    ...(policy.allowCredentials ? { "access-control-allow-credentials": "true" } : {}),
  });
  return {
    headers(origin) {
      const allowed = allowedOrigin(origin);
      if (!allowed) return {};
      return {
        ...base(allowed),
        ...(policy.exposeHeaders.length > 0
          ? { "access-control-expose-headers": policy.exposeHeaders.join(", ") }
          : {}),
      };
    },
    preflight(origin, methods) {
      const allowed = allowedOrigin(origin);
      if (!allowed) return {};
      return {
        ...base(allowed),
        "access-control-allow-methods": [...methods, "OPTIONS"].join(", "),
        "access-control-allow-headers": policy.allowHeaders.join(", "),
        "access-control-max-age": String(Math.floor(policy.maxAgeMs / 1000)),
      };
    },
  };
}

/**
 * The edge features against a real backend, real Redis and a real JWKS: access-token
 * checks, rate limits (and failing open without Redis), circuit breakers with the
 * last-good fallback, CORS, /ready and /metrics.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { startPrivateRedisServer } from "@shop/libs/redis";
import { createTestIssuer } from "@shop/libs/testing";
import { startConformanceBackends } from "../support/conformance-backend";
import {
  conformanceBackendSpecs,
  startConformanceStack,
  startTestGateway,
} from "../support/test-gateway";

type Stack = Awaited<ReturnType<typeof startConformanceStack>>;

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function eventually<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 10_000,
) {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await probe();
  }
  return value;
}

describe("access control", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startConformanceStack();
  });
  afterAll(() => stack.stop());

  it("lets a valid token through and forwards it for the backend to re-verify", async () => {
    const answer = await stack.gateway.call("GET", "/v1/me", {
      headers: bearer(await stack.issuer.token("user-7", "customer")),
    });
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ userId: "user-7", role: "customer" });
  });

  it("answers 401 with WWW-Authenticate without a token", async () => {
    const answer = await stack.gateway.call("GET", "/v1/me");
    expect(answer.status).toBe(401);
    expect(answer.headers["www-authenticate"]).toBe('Bearer realm="shop"');
    expect(answer.json).toMatchObject({ code: 16, message: "this route requires an access token" });
  });

  it("answers 401 for expired, tampered, alg-none, foreign and malformed tokens", async () => {
    const valid = await stack.issuer.token("user-1", "customer");
    const [header, payload, signature] = valid.split(".") as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
    const forgedClaims = b64url({ ...claims, role: "admin" });
    const tokens = {
      expired: await stack.issuer.token("user-1", "customer", -120),
      tampered: `${header}.${forgedClaims}.${signature}`,
      algNone: `${b64url({ alg: "none", typ: "JWT" })}.${forgedClaims}.`,
      garbage: "not-a-jwt",
    };
    for (const [kind, token] of Object.entries(tokens)) {
      const answer = await stack.gateway.call("GET", "/v1/me", { headers: bearer(token) });
      expect({ kind, status: answer.status }).toEqual({ kind, status: 401 });
      expect(answer.headers["www-authenticate"]).toBe('Bearer realm="shop", error="invalid_token"');
      expect(answer.json.code).toBe(16);
    }
    const basic = await stack.gateway.call("GET", "/v1/me", {
      headers: { authorization: "Basic dTpw" },
    });
    expect(basic.status).toBe(401);
    expect(basic.headers["www-authenticate"]).toContain('error="invalid_request"');
  });

  it("answers 403 to a customer on an admin route, and lets an admin through", async () => {
    const customer = await stack.gateway.call("POST", "/v1/admin:purge", {
      headers: bearer(await stack.issuer.token("user-1", "customer")),
      body: { scope: "all" },
    });
    expect(customer.status).toBe(403);
    expect(customer.json).toMatchObject({ code: 7, message: "this route requires the admin role" });
    const admin = await stack.gateway.call("POST", "/v1/admin:purge", {
      headers: bearer(await stack.issuer.token("admin-1", "admin")),
      body: { scope: "all" },
    });
    expect(admin.status).toBe(200);
    expect(admin.json).toEqual({ scope: "all", purgedBy: "admin-1" });
  });

  it("rejects a bad token on a public route too, and accepts a public call without one", async () => {
    expect(
      (await stack.gateway.call("GET", "/v1/echo/x", { headers: bearer("x.y.z") })).status,
    ).toBe(401);
    expect((await stack.gateway.call("GET", "/v1/echo/x")).status).toBe(200);
  });
});

describe("rate limits", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startConformanceStack({
      RATE_LIMIT_ANONYMOUS: "3/1m",
      RATE_LIMIT_AUTHENTICATED: "2/1m",
      RATE_LIMIT_CREDENTIALS: "1/1m",
      RATE_LIMIT_CREDENTIALS_RPCS: "conformance.v1.ConformanceService/CancelOperation",
    });
  });
  afterAll(() => stack.stop());

  it("limits anonymous calls per client IP: 429 with Retry-After and RateLimit headers", async () => {
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await stack.gateway.call("GET", "/v1/echo/x"));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
    expect(answers.map((a) => a.headers["ratelimit-remaining"])).toEqual(["2", "1", "0", "0"]);
    const limited = answers[3]!;
    expect(limited.headers["ratelimit-limit"]).toBe("3");
    expect(Number(limited.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers["retry-after"])).toBeLessThanOrEqual(20);
    expect(Number(limited.headers["ratelimit-reset"])).toBeGreaterThan(0);
    expect(limited.json).toMatchObject({ code: 8, message: expect.stringContaining("anonymous") });
    expect(limited.json.details).toEqual([
      {
        "@type": "type.googleapis.com/google.rpc.RetryInfo",
        retryDelay: expect.stringMatching(/s$/),
      },
    ]);
  });

  it("limits authenticated calls per user, apart from each other and from the IP", async () => {
    const alice = bearer(await stack.issuer.token("alice", "customer"));
    const bob = bearer(await stack.issuer.token("bob", "customer"));
    const statuses = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await stack.gateway.call("GET", "/v1/me", { headers: alice })).status);
    expect(statuses).toEqual([200, 200, 429]);
    expect((await stack.gateway.call("GET", "/v1/me", { headers: bob })).status).toBe(200);
  });

  it("applies a route group's own limit", async () => {
    const first = await stack.gateway.call("POST", "/v1/operations/a:cancel", { body: {} });
    const second = await stack.gateway.call("POST", "/v1/operations/b:cancel", { body: {} });
    expect([first.status, second.status]).toEqual([200, 429]);
    expect(second.json.message).toContain("credentials");
  });

  it("counts refusals in a metric", async () => {
    const metrics = await stack.gateway.call("GET", "/metrics");
    expect(metrics.text).toMatch(/gateway_rate_limited_total\{[^}]*group="anonymous"[^}]*\} [1-9]/);
  });
});

describe("rate limits without Redis", () => {
  it("fail open, count it in a metric and report Redis down in /ready", async () => {
    const redis = await startPrivateRedisServer();
    const stack = await startConformanceStack({
      REDIS_URL: redis.url,
      RATE_LIMIT_ANONYMOUS: "100/1m",
    });
    try {
      const before = await stack.gateway.call("GET", "/v1/echo/x");
      expect(before.headers["ratelimit-limit"]).toBe("100");
      await redis.stop();
      const during = await stack.gateway.call("GET", "/v1/echo/x");
      expect(during.status).toBe(200);
      expect(during.headers["ratelimit-limit"]).toBeUndefined();
      const metrics = await stack.gateway.call("GET", "/metrics");
      expect(metrics.text).toMatch(
        /gateway_rate_limit_fail_open_total\{[^}]*group="anonymous"[^}]*\} [1-9]/,
      );
      const ready = await eventually(
        () => stack.gateway.call("GET", "/ready"),
        (r) => r.json.checks.redis === "down",
      );
      expect(ready.status).toBe(200);
      expect(ready.json.checks.redis).toBe("down");

      await redis.start();
      const after = await eventually(
        () => stack.gateway.call("GET", "/v1/echo/x"),
        (r) => r.headers["ratelimit-limit"] !== undefined,
      );
      expect(after.headers["ratelimit-limit"]).toBe("100");
    } finally {
      await stack.stop();
      await redis.stop();
    }
  });
});

describe("circuit breaker and last good responses", () => {
  it("opens on failures, fails fast, serves stale public reads, and closes when the backend returns", async () => {
    const stack = await startConformanceStack({
      BREAKER_VOLUME_THRESHOLD: "3",
      BREAKER_ERROR_THRESHOLD_PERCENT: "50",
      BREAKER_RESET_TIMEOUT: "1s",
      STALE_FALLBACK_RPCS: "conformance.v1.ConformanceService/GetBook",
    });
    let backends = stack.backends;
    const { port, rawPort } = backends;
    try {
      const fresh = await stack.gateway.call("GET", "/v1/books/b1?x=1");
      expect(fresh.status).toBe(200);
      expect(fresh.headers["x-gateway-fallback"]).toBeUndefined();

      await backends.stop();
      // Failures open the breaker: more than half of at least three calls.
      const failures = [];
      for (let i = 0; i < 4; i++) failures.push(await stack.gateway.call("GET", "/v1/echo/x"));
      expect(failures.every((f) => f.status === 503)).toBe(true);
      const open = await stack.gateway.call("GET", "/v1/echo/x");
      expect(open.status).toBe(503);
      expect(open.json).toMatchObject({
        code: 14,
        message: "conformance is unavailable (circuit open)",
      });
      expect(Number(open.headers["retry-after"])).toBeGreaterThanOrEqual(1);

      // The last good answer of the same route and query, marked as such.
      const stale = await stack.gateway.call("GET", "/v1/books/b1?x=1");
      expect(stale.status).toBe(200);
      expect(stale.json).toEqual(fresh.json);
      expect(stale.headers["x-gateway-fallback"]).toBe("stale");
      expect(Number(stale.headers.age)).toBeGreaterThanOrEqual(0);
      // Another query never answered before has nothing to fall back on.
      expect((await stack.gateway.call("GET", "/v1/books/b1?x=2")).status).toBe(503);

      const ready = await stack.gateway.call("GET", "/ready");
      expect(ready.status).toBe(200);
      expect(ready.json.breakers).toMatchObject({ conformance: "open", raw: "closed" });
      const metrics = await stack.gateway.call("GET", "/metrics");
      expect(metrics.text).toMatch(
        /gateway_circuit_breaker_state\{[^}]*backend="conformance"[^}]*\} 2/,
      );
      expect(metrics.text).toMatch(/gateway_stale_responses_total\{[^}]*GetBook[^}]*\} [1-9]/);

      backends = await startConformanceBackends(stack.issuer, { port, rawPort });
      const recovered = await eventually(
        () => stack.gateway.call("GET", "/v1/echo/x"),
        (r) => r.status === 200,
      );
      expect(recovered.status).toBe(200);
      const closed = await stack.gateway.call("GET", "/ready");
      expect(closed.json.breakers.conformance).toBe("closed");
      const live = await stack.gateway.call("GET", "/v1/books/b1?x=1");
      expect(live.headers["x-gateway-fallback"]).toBeUndefined();
    } finally {
      await stack.gateway.stop();
      await backends.stop();
      await stack.issuer.close();
    }
  });

  it("does not count a deadline the client shortened against the backend", async () => {
    const stack = await startConformanceStack({
      BREAKER_VOLUME_THRESHOLD: "2",
      BREAKER_RESET_TIMEOUT: "30s",
    });
    try {
      for (let i = 0; i < 4; i++) {
        const answer = await stack.gateway.call("GET", "/v1/sleep?delay=1s", {
          headers: { "grpc-timeout": "20m" },
        });
        expect(answer.status).toBe(504);
      }
      expect((await stack.gateway.call("GET", "/v1/echo/x")).status).toBe(200);
    } finally {
      await stack.stop();
    }
  });
});

describe("CORS", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startConformanceStack({ CORS_ALLOW_ORIGINS: "https://app.example" });
  });
  afterAll(() => stack.stop());

  it("answers a preflight for an allowed origin with the path's methods", async () => {
    const answer = await stack.gateway.call("OPTIONS", "/v1/echo/x", {
      headers: {
        origin: "https://app.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
      },
    });
    expect(answer.status).toBe(204);
    expect(answer.headers).toMatchObject({
      "access-control-allow-origin": "https://app.example",
      "access-control-allow-methods": "POST, OPTIONS",
      "access-control-max-age": "600",
      vary: "Origin",
    });
    expect(answer.headers["access-control-allow-headers"]).toContain("authorization");
  });

  it("adds CORS headers to answers for allowed origins only", async () => {
    const allowed = await stack.gateway.call("GET", "/v1/echo/x", {
      headers: { origin: "https://app.example" },
    });
    expect(allowed.headers["access-control-allow-origin"]).toBe("https://app.example");
    expect(allowed.headers["access-control-expose-headers"]).toContain("x-request-id");
    const other = await stack.gateway.call("GET", "/v1/echo/x", {
      headers: { origin: "https://evil.example" },
    });
    expect(other.status).toBe(200);
    expect(other.headers["access-control-allow-origin"]).toBeUndefined();
  });
});

describe("health, readiness and metrics", () => {
  it("is ready only once the JWKS is loaded", async () => {
    const keys = JSON.stringify({
      keys: [
        { kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", kid: "k" },
      ],
    });
    const probe: Server = createServer((_req, res) => res.writeHead(200).end(keys));
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const stack = await startConformanceStack({ JWKS_URL: `http://127.0.0.1:${port}/jwks.json` });
    try {
      const before = await stack.gateway.call("GET", "/ready");
      expect(before.status).toBe(503);
      expect(before.json).toMatchObject({
        status: "not_ready",
        checks: { jwks: "down", descriptors: "up" },
      });
      expect((await stack.gateway.call("GET", "/health")).status).toBe(200);
      await new Promise<void>((resolve) => probe.listen(port, "127.0.0.1", resolve));
      const after = await eventually(
        () => stack.gateway.call("GET", "/ready"),
        (r) => r.status === 200,
      );
      expect(after.json).toMatchObject({
        status: "ready",
        service: "api-gateway",
        checks: { descriptors: "up", jwks: "up", redis: "up", conformance: "up", raw: "down" },
        breakers: { conformance: "closed", raw: "closed" },
      });
    } finally {
      probe.closeAllConnections();
      await new Promise((resolve) => probe.close(resolve));
      await stack.stop();
    }
  });

  it("exports per-route metrics and refuses other methods on built-in paths", async () => {
    const stack = await startConformanceStack();
    try {
      await stack.gateway.call("GET", "/v1/echo/a");
      await stack.gateway.call("GET", "/v1/nowhere");
      const metrics = await stack.gateway.call("GET", "/metrics");
      expect(metrics.headers["content-type"]).toContain("text/plain");
      expect(metrics.text).toMatch(
        /http_server_requests_total\{route="\/v1\/echo\/\{id\}",method="GET",status="200"[^}]*\} 1/,
      );
      expect(metrics.text).toMatch(
        /http_server_requests_total\{route="unmatched",method="GET",status="404"/,
      );
      expect(metrics.text).toMatch(
        /rpc_server_requests_total\{[^}]*method="\/conformance.v1.ConformanceService\/Echo",protocol="rest",code="OK"/,
      );
      const post = await stack.gateway.call("POST", "/metrics");
      expect(post.status).toBe(405);
      expect(post.headers.allow).toBe("GET, HEAD");
    } finally {
      await stack.stop();
    }
  });
});

describe("logging", () => {
  it("writes one line per request, with the request id and route but no credentials", async () => {
    const issuer = await createTestIssuer();
    const backends = await startConformanceBackends(issuer);
    const lines: Record<string, unknown>[] = [];
    const gateway = await startTestGateway({
      env: { ...issuer.env, LOG_LEVEL: "info" },
      backends: conformanceBackendSpecs(backends),
      logDestination: { write: (line) => void lines.push(JSON.parse(line)) },
    });
    try {
      const token = await issuer.token("user-9", "customer");
      await gateway.call("GET", "/v1/me", {
        headers: { ...bearer(token), "x-request-id": "log-1" },
      });
      const line = lines.find((l) => l.requestId === "log-1");
      expect(line).toMatchObject({
        service: "api-gateway",
        level: "info",
        message: "request completed",
        method: "GET",
        route: "/v1/me",
        status: 200,
      });
      expect(JSON.stringify(lines)).not.toContain(token);
    } finally {
      await gateway.stop();
      await backends.stop();
      await issuer.close();
    }
  });
});

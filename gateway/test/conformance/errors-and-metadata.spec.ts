/**
 * Conformance of errors, metadata, deadlines and server streaming: google.rpc.Status
 * with grpc-gateway's code-to-HTTP table and details passed through, 404/405/413,
 * internal RPCs unreachable, headers forwarded as metadata and back, Grpc-Timeout,
 * and newline-delimited JSON streams.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ndjson } from "../support/http-client";
import { startConformanceStack } from "../support/test-gateway";

type Stack = Awaited<ReturnType<typeof startConformanceStack>>;

/** A runtime config whose default deadline is short, to see the per-route default apply. */
function shortDefaultDeadline(): string {
  const dir = mkdtempSync(join(tmpdir(), "gateway-runtime-"));
  const file = join(dir, "api-gateway.json");
  writeFileSync(
    file,
    JSON.stringify({
      service: "api-gateway",
      defaults: {
        timeoutMs: 1_500,
        retry: {
          maxAttempts: 1,
          initialBackoffMs: 50,
          maxBackoffMs: 100,
          backoffMultiplier: 2,
          retryableStatusCodes: [],
        },
      },
    }),
  );
  return file;
}

describe("errors, metadata, deadlines and streams", () => {
  let stack: Stack;
  const call: Stack["gateway"]["call"] = (...args) => stack.gateway.call(...args);
  const fail = (body: object) => call("POST", "/v1/fail", { body });

  beforeAll(async () => {
    stack = await startConformanceStack({ RUNTIME_CONFIG_PATH: shortDefaultDeadline() });
  });
  afterAll(() => stack.stop());

  describe("errors", () => {
    it.each([
      [1, 499],
      [3, 400],
      [4, 504],
      [5, 404],
      [6, 409],
      [7, 403],
      [8, 429],
      [9, 400],
      [10, 409],
      [11, 400],
      [12, 501],
      [14, 503],
      [16, 401],
    ])("code %i becomes HTTP %i with the Status as JSON", async (code, status) => {
      const answer = await fail({ code, message: `failed with ${code}` });
      expect(answer.status).toBe(status);
      expect(answer.headers["content-type"]).toBe("application/json");
      expect(answer.json).toEqual({ code, message: `failed with ${code}`, details: [] });
    });

    it("hides the message of server faults (INTERNAL, UNKNOWN, DATA_LOSS) behind 500", async () => {
      for (const code of [2, 13, 15]) {
        const answer = await fail({ code, message: "stack trace with secrets" });
        expect(answer.status).toBe(500);
        expect(answer.json).toEqual({ code, message: "internal error", details: [] });
      }
    });

    it("maps codes outside gRPC's table to 500 and keeps the code", async () => {
      const answer = await call("GET", "/v1/raw?code=42&message=odd");
      expect(answer.status).toBe(500);
      expect(answer.json).toMatchObject({ code: 42, message: "odd" });
    });

    it("passes details through: BadRequest, RetryInfo, ErrorInfo", async () => {
      const answer = await fail({
        code: 8,
        message: "slow down",
        violations: [{ field: "items[1].quantity", description: "must be positive" }],
        retryAfterMs: 2500,
        reason: "TOO_MANY",
      });
      expect(answer.status).toBe(429);
      expect(answer.headers["retry-after"]).toBe("3");
      expect(answer.json.details).toEqual([
        {
          "@type": "type.googleapis.com/google.rpc.BadRequest",
          fieldViolations: [
            { field: "items[1].quantity", description: "must be positive", reason: "" },
          ],
        },
        { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "2.500s" },
        {
          "@type": "type.googleapis.com/google.rpc.ErrorInfo",
          reason: "TOO_MANY",
          domain: "shop.example",
          metadata: {},
        },
      ]);
    });

    it("challenges a backend's UNAUTHENTICATED with WWW-Authenticate", async () => {
      const answer = await fail({ code: 16, message: "who are you" });
      expect(answer.headers["www-authenticate"]).toBe('Bearer realm="shop"');
    });

    it("answers an unknown route with 404 JSON and a known path's other method with 405", async () => {
      const unknown = await call("GET", "/v1/nowhere");
      expect(unknown.status).toBe(404);
      expect(unknown.json).toMatchObject({ code: 5, details: [] });
      const trailingSlash = await call("GET", "/v1/echo/x/");
      expect(trailingSlash.status).toBe(404);

      const wrongMethod = await call("DELETE", "/v1/echo/x");
      expect(wrongMethod.status).toBe(405);
      expect(wrongMethod.headers.allow).toBe("GET, POST");
      expect(wrongMethod.json).toMatchObject({ code: 12 });
      const verbOnly = await call("GET", "/v1/operations/op:cancel");
      expect(verbOnly.status).toBe(405);
      expect(verbOnly.headers.allow).toBe("POST");
    });

    it("never routes internal RPCs or RPCs without an access level", async () => {
      for (const path of ["/v1/secret", "/v1/unmarked"]) {
        expect((await call("GET", path)).status).toBe(404);
      }
      const grpcPath = await call("POST", "/conformance.v1.ConformanceService/Secret", {
        body: {},
      });
      expect(grpcPath.status).toBe(404);
    });

    it("answers 413 for a body over the 1 MiB default, declared or chunked", async () => {
      const big = JSON.stringify({ tags: ["x".repeat(1024 * 1024)] });
      const declared = await call("POST", "/v1/echo/x", { body: big });
      expect(declared.status).toBe(413);
      expect(declared.json).toMatchObject({ code: 8, message: expect.stringContaining("1048576") });
      const chunked = await call("POST", "/v1/echo/x", {
        body: big,
        headers: { "transfer-encoding": "chunked" },
      });
      expect(chunked.status).toBe(413);
      // Just under the limit is fine.
      const fits = JSON.stringify({ tags: ["x".repeat(1024 * 1024 - 100)] });
      expect((await call("POST", "/v1/echo/x", { body: fits })).status).toBe(200);
    });
  });

  describe("metadata", () => {
    it("forwards Authorization, Idempotency-Key, trace context, request id and client address", async () => {
      const token = await stack.issuer.token("user-1", "customer");
      const answer = await call("GET", "/v1/echo/m", {
        headers: {
          authorization: `Bearer ${token}`,
          "idempotency-key": "key-123",
          traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
          tracestate: "vendor=value",
          "x-request-id": "req-42",
          "grpc-metadata-custom-key": "custom value",
          "grpc-metadata-x-client-ip": "6.6.6.6",
          "grpc-metadata-x-service-token": "forged",
          "grpc-metadata-grpc-timeout": "1n",
        },
      });
      expect(answer.status).toBe(200);
      expect(answer.headers["x-request-id"]).toBe("req-42");
      expect(answer.json).toMatchObject({ caller: "api-gateway", userId: "user-1" });
      expect(answer.json.metadata).toMatchObject({
        authorization: `Bearer ${token}`,
        "idempotency-key": "key-123",
        traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        tracestate: "vendor=value",
        "x-request-id": "req-42",
        "x-client-ip": "127.0.0.1",
        "custom-key": "custom value",
        "x-service-token": "present",
      });
    });

    it("generates a request id when there is none or it is unsafe, and echoes it", async () => {
      const cases: Record<string, string>[] = [{}, { "x-request-id": "bad id with spaces" }];
      for (const headers of cases) {
        const answer = await call("GET", "/v1/echo/r", { headers });
        const id = answer.headers["x-request-id"];
        expect(id).toMatch(/^[0-9a-f-]{36}$/);
        expect(answer.json.metadata["x-request-id"]).toBe(id);
      }
      const notFound = await call("GET", "/v1/nowhere", { headers: { "x-request-id": "r-404" } });
      expect(notFound.headers["x-request-id"]).toBe("r-404");
    });

    it("returns backend headers as Grpc-Metadata-* and trailers as Grpc-Trailer-*", async () => {
      const answer = await call("GET", "/v1/raw");
      expect(answer.json).toEqual({ text: "raw" });
      expect(answer.headers["grpc-metadata-x-echo-header"]).toBe("from-backend");
      expect(answer.headers["grpc-metadata-x-echo-bin"]).toBe(
        Buffer.from([1, 2, 3]).toString("base64"),
      );
      expect(answer.headers["grpc-trailer-x-echo-trailer"]).toBe("done");
      expect(answer.headers["grpc-metadata-content-type"]).toBeUndefined();
    });
  });

  describe("deadlines", () => {
    it("takes a shorter Grpc-Timeout as the deadline, and caps a longer one at the route's", async () => {
      const answer = await call("GET", "/v1/sleep", { headers: { "grpc-timeout": "1S" } });
      expect(Number(answer.json.deadlineMs)).toBeGreaterThan(500);
      expect(Number(answer.json.deadlineMs)).toBeLessThanOrEqual(1_000);
      const longer = await call("GET", "/v1/sleep", { headers: { "grpc-timeout": "1M" } });
      expect(Number(longer.json.deadlineMs)).toBeGreaterThan(1_000);
      expect(Number(longer.json.deadlineMs)).toBeLessThanOrEqual(1_500);
      const late = await call("GET", "/v1/sleep?delay=5s", { headers: { "grpc-timeout": "200m" } });
      expect(late.status).toBe(504);
      expect(late.json).toMatchObject({ code: 4 });
    });

    it("applies the route's default from runtime config when the client sets none", async () => {
      const answer = await call("GET", "/v1/sleep");
      expect(Number(answer.json.deadlineMs)).toBeGreaterThan(500);
      expect(Number(answer.json.deadlineMs)).toBeLessThanOrEqual(1_500);
      expect((await call("GET", "/v1/sleep?delay=5s")).status).toBe(504);
    });

    it("answers 400 for a malformed Grpc-Timeout", async () => {
      for (const value of ["abc", "5", "123456789S", "5s"]) {
        const answer = await call("GET", "/v1/sleep", { headers: { "grpc-timeout": value } });
        expect(answer.status).toBe(400);
        expect(answer.json.details[0].fieldViolations[0].field).toBe("grpc-timeout");
      }
    });
  });

  describe("server streaming", () => {
    it("streams newline-delimited {result} objects", async () => {
      const answer = await call("GET", "/v1/watch/w?count=3");
      expect(answer.status).toBe(200);
      expect(answer.headers["transfer-encoding"]).toBe("chunked");
      expect(ndjson(answer.text)).toEqual([
        { result: { id: "w", sequence: 1 } },
        { result: { id: "w", sequence: 2 } },
        { result: { id: "w", sequence: 3 } },
      ]);
    });

    it("ends with {error} when the stream fails after messages", async () => {
      const answer = await call("GET", "/v1/watch/w?count=2&failCode=10");
      expect(answer.status).toBe(200);
      expect(ndjson(answer.text)).toEqual([
        { result: { id: "w", sequence: 1 } },
        { result: { id: "w", sequence: 2 } },
        { error: { code: 10, message: "watch w failed", details: [] } },
      ]);
    });

    it("gives an error before the first message the mapped status", async () => {
      const answer = await call("GET", "/v1/watch/w?count=0&failCode=5");
      expect(answer.status).toBe(404);
      expect(ndjson(answer.text)).toEqual([
        { error: { code: 5, message: "watch w failed", details: [] } },
      ]);
    });

    it("ends an empty stream with 200 and no lines", async () => {
      const answer = await call("GET", "/v1/watch/w?count=0");
      expect(answer.status).toBe(200);
      expect(answer.text).toBe("");
    });

    it("ends the stream with DEADLINE_EXCEEDED when Grpc-Timeout passes", async () => {
      const answer = await call("GET", "/v1/watch/w?count=50&interval=0.1s", {
        headers: { "grpc-timeout": "250m" },
      });
      const lines = ndjson(answer.text);
      expect(lines.length).toBeGreaterThan(1);
      expect(lines.length).toBeLessThan(50);
      expect(lines[lines.length - 1]).toMatchObject({ error: { code: 4 } });
    });
  });
});

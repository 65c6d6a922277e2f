/**
 * The gateway's second face against the test contract's real backend: gRPC (grpc-js on
 * port 9000), Connect (connect-node on port 8000 over HTTP/1.1 and on 9000 over HTTP/2)
 * and gRPC-Web (connect-web over fetch on port 8000, as a browser), through the same
 * edge pipeline as REST: public unary and streaming calls, access levels, internal
 * RPCs refused, metadata forwarded, deadlines, errors with their details, metrics by
 * protocol, health.
 */

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRegistry, fromBinary } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import {
  Code,
  type Client as ConnectClient,
  ConnectError,
  createClient,
} from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-node";
import type { ServiceError as GrpcError } from "@grpc/grpc-js";
import {
  BadRequestSchema,
  ErrorInfoSchema,
  file_google_rpc_error_details,
  RetryInfoSchema,
} from "@shop/gen/es/google/rpc/error_details_pb";
import { StatusSchema } from "@shop/gen/es/google/rpc/status_pb";
import { Health, HealthCheckResponse_ServingStatus } from "../../src/gen/grpc/health/v1/health_pb";
import { ConformanceService, RawService } from "../gen/conformance/v1/conformance_pb";
import {
  connectTestClient,
  type GrpcTestClient,
  grpcError,
  grpcTestClient,
  grpcWebTestClient,
} from "../support/rpc-clients";
import { startConformanceStack } from "../support/test-gateway";

type Stack = Awaited<ReturnType<typeof startConformanceStack>>;
type Conformance = ConnectClient<typeof ConformanceService>;

const registry = createRegistry(file_google_rpc_error_details);
const method = ConformanceService.method;

/** A runtime config whose default deadline is 1.5 s, to see the policy cap apply. */
function shortDefaultDeadline(): string {
  const file = join(mkdtempSync(join(tmpdir(), "gateway-rpc-")), "api-gateway.json");
  const retry = {
    maxAttempts: 1,
    initialBackoffMs: 50,
    maxBackoffMs: 100,
    backoffMultiplier: 2,
    retryableStatusCodes: [],
  };
  writeFileSync(
    file,
    JSON.stringify({ service: "api-gateway", defaults: { timeoutMs: 1_500, retry } }),
  );
  return file;
}

/** The google.rpc.Status a gRPC client received in grpc-status-details-bin. */
function statusDetails(error: GrpcError) {
  const raw = error.metadata.get("grpc-status-details-bin")[0] as Buffer;
  return fromBinary(StatusSchema, raw);
}

async function connectError(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error("the call succeeded");
}

describe("gRPC, Connect and gRPC-Web at the edge", () => {
  let stack: Stack;
  let grpc: GrpcTestClient;
  let clients: Record<string, Conformance>;

  beforeAll(async () => {
    stack = await startConformanceStack({
      RUNTIME_CONFIG_PATH: shortDefaultDeadline(),
      CORS_ALLOW_ORIGINS: "https://app.example",
    });
    grpc = grpcTestClient(stack.gateway.grpcPort);
    clients = {
      "connect (HTTP/1.1, port 8000)": connectTestClient(ConformanceService, stack.gateway.port),
      "connect (HTTP/2, port 9000)": connectTestClient(
        ConformanceService,
        stack.gateway.grpcPort,
        "2",
        true,
      ),
      "grpc-web (fetch, port 8000)": grpcWebTestClient(ConformanceService, stack.gateway.port),
      "grpc-web (HTTP/2, port 9000)": createClient(
        ConformanceService,
        createGrpcWebTransport({
          baseUrl: `http://127.0.0.1:${stack.gateway.grpcPort}`,
          httpVersion: "2",
        }),
      ),
    };
  });
  afterAll(async () => {
    grpc.close();
    await stack.stop();
  });

  it("serves a public unary call to every client, through the gateway's identity", async () => {
    const viaGrpc = await grpc.unary(method.echo, { id: "g", int64Value: 7n });
    expect(viaGrpc.message).toMatchObject({
      request: { id: "g", int64Value: 7n },
      caller: "api-gateway",
      metadata: { "x-client-ip": "127.0.0.1", "x-service-token": "present" },
    });
    expect(viaGrpc.headers.get("ratelimit-limit")).toEqual(["300"]);
    for (const [name, client] of Object.entries(clients)) {
      const answer = await client.echo({ id: name });
      expect({ name, id: answer.request?.id, caller: answer.caller }).toEqual({
        name,
        id: name,
        caller: "api-gateway",
      });
    }
  });

  it("streams server messages to every client, and the error that ends a stream", async () => {
    const events = await grpc.stream(method.watch, { id: "w", count: 3 });
    expect(events.map((e) => (e as unknown as { sequence: number }).sequence)).toEqual([1, 2, 3]);
    const failing = grpc.open(method.watch, { id: "w", count: 2, failCode: 9 });
    const received: unknown[] = [];
    const failure = await grpcError(
      (async () => {
        for await (const event of failing) received.push(event);
      })(),
    );
    expect(received).toHaveLength(2);
    expect({ code: failure.code, details: failure.details }).toEqual({
      code: 9,
      details: "watch w failed",
    });
    for (const [name, client] of Object.entries(clients)) {
      const sequences: number[] = [];
      for await (const event of client.watch({ id: name, count: 3 })) {
        sequences.push(event.sequence);
      }
      expect({ name, sequences }).toEqual({ name, sequences: [1, 2, 3] });
      const error = await connectError(
        (async () => {
          for await (const _ of client.watch({ id: name, count: 1, failCode: 9 })) {
            // Read to the end.
          }
        })(),
      );
      expect({ name, code: error.code }).toEqual({ name, code: Code.FailedPrecondition });
    }
  });

  it("refuses protected RPCs without a token, and checks the role", async () => {
    const anonymous = await grpcError(grpc.unary(method.whoAmI, {}));
    expect(anonymous.code).toBe(16);
    expect(anonymous.details).toBe("this route requires an access token");
    expect(anonymous.metadata.get("www-authenticate")).toEqual(['Bearer realm="shop"']);
    for (const [name, client] of Object.entries(clients)) {
      const error = await connectError(client.whoAmI({}));
      expect({ name, code: error.code }).toEqual({ name, code: Code.Unauthenticated });
    }
    const customer = `Bearer ${await stack.issuer.token("user-3", "customer")}`;
    const me = await grpc.unary(method.whoAmI, {}, { metadata: { authorization: customer } });
    expect(me.message).toMatchObject({ userId: "user-3", role: "customer" });
    const viaConnect = await clients["connect (HTTP/1.1, port 8000)"]!.whoAmI(
      {},
      { headers: { authorization: customer } },
    );
    expect(viaConnect.userId).toBe("user-3");
    const forged = await grpcError(
      grpc.unary(method.whoAmI, {}, { metadata: { authorization: "Bearer x.y.z" } }),
    );
    expect(forged.code).toBe(16);
    const purge = await grpcError(
      grpc.unary(method.purge, { scope: "all" }, { metadata: { authorization: customer } }),
    );
    expect(purge.code).toBe(7);
  });

  it("refuses internal and unmarked RPCs whatever the protocol, like unknown methods", async () => {
    for (const rpc of [method.secret, method.unmarked]) {
      const error = await grpcError(grpc.unary(rpc, {}));
      expect({ rpc: rpc.name, code: error.code }).toEqual({ rpc: rpc.name, code: 12 });
      for (const [name, client] of Object.entries(clients)) {
        const call = rpc === method.secret ? client.secret({}) : client.unmarked({});
        const refused = await connectError(call);
        expect({ name, rpc: rpc.name, code: refused.code }).toEqual({
          name,
          rpc: rpc.name,
          code: Code.Unimplemented,
        });
      }
    }
    const unknown = await grpcError(
      grpc.unary({ ...method.secret, name: "Nothing" } as typeof method.secret, {}),
    );
    expect(unknown.code).toBe(12);
  });

  it("forwards the client's context and custom metadata, never what only the gateway sets", async () => {
    const token = await stack.issuer.token("user-5", "customer");
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const answer = await grpc.unary(
      method.echo,
      { id: "m" },
      {
        metadata: {
          authorization: `Bearer ${token}`,
          "x-request-id": "req-rpc-1",
          traceparent,
          "idempotency-key": "idem-1",
          "x-tenant": "acme",
          "x-trace-bin": Buffer.from([1, 2, 3]),
          "x-client-ip": "6.6.6.6",
          "x-service-token": "forged",
        },
      },
    );
    expect(answer.message).toMatchObject({
      userId: "user-5",
      metadata: {
        authorization: `Bearer ${token}`,
        "x-request-id": "req-rpc-1",
        traceparent,
        "idempotency-key": "idem-1",
        "x-tenant": "acme",
        "x-trace-bin": Buffer.from([1, 2, 3]).toString("base64"),
        "x-client-ip": "127.0.0.1",
        "x-service-token": "present",
      },
    });
    expect(answer.headers.get("x-request-id")).toEqual(["req-rpc-1"]);

    const viaConnect = await clients["connect (HTTP/1.1, port 8000)"]!.echo(
      { id: "m" },
      { headers: { "x-tenant": "acme", cookie: "session=1", "idempotency-key": "idem-2" } },
    );
    expect(viaConnect.metadata).toMatchObject({ "x-tenant": "acme", "idempotency-key": "idem-2" });
    expect(Object.keys(viaConnect.metadata)).not.toContain("cookie");
    expect(Object.keys(viaConnect.metadata)).not.toContain("connect-protocol-version");
  });

  it("passes the backend's response headers and trailers on", async () => {
    const answer = await grpc.unary(RawService.method.raw, {});
    expect(answer.headers.get("x-echo-header")).toEqual(["from-backend"]);
    expect(answer.headers.get("x-echo-bin")).toEqual([Buffer.from([1, 2, 3])]);
    expect(answer.trailers.get("x-echo-trailer")).toEqual(["done"]);
  });

  it("keeps an error's code and details across the hop", async () => {
    const input = {
      code: 3,
      message: "bad input",
      violations: [{ field: "items[1].quantity", description: "must be positive" }],
      retryAfterMs: 2_500n,
      reason: "TOO_MANY",
    };
    const viaGrpc = await grpcError(grpc.unary(method.fail, input));
    expect({ code: viaGrpc.code, message: viaGrpc.details }).toEqual({
      code: 3,
      message: "bad input",
    });
    const status = statusDetails(viaGrpc);
    expect(status.code).toBe(3);
    expect(anyUnpack(status.details[0]!, BadRequestSchema)?.fieldViolations).toMatchObject([
      { field: "items[1].quantity", description: "must be positive" },
    ]);
    expect(anyUnpack(status.details[1]!, RetryInfoSchema)?.retryDelay).toMatchObject({
      seconds: 2n,
      nanos: 500_000_000,
    });
    expect(anyUnpack(status.details[2]!, ErrorInfoSchema)?.reason).toBe("TOO_MANY");
    expect(viaGrpc.metadata.get("retry-after")).toEqual(["3"]);

    for (const [name, client] of Object.entries(clients)) {
      const error = await connectError(client.fail(input));
      expect({ name, code: error.code, message: error.rawMessage }).toEqual({
        name,
        code: Code.InvalidArgument,
        message: "bad input",
      });
      expect(error.findDetails(BadRequestSchema)[0]?.fieldViolations[0]).toMatchObject({
        field: "items[1].quantity",
      });
      expect(error.findDetails(registry).map((d) => d.$typeName)).toEqual([
        "google.rpc.BadRequest",
        "google.rpc.RetryInfo",
        "google.rpc.ErrorInfo",
      ]);
    }

    // Connect's error JSON, as curl sees it.
    const raw = await fetch(
      `http://127.0.0.1:${stack.gateway.port}/conformance.v1.ConformanceService/Fail`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          code: 3,
          message: "bad",
          violations: [{ field: "a", description: "b" }],
        }),
      },
    );
    expect(raw.status).toBe(400);
    const json = (await raw.json()) as { details: { value: string }[] };
    expect(json).toMatchObject({
      code: "invalid_argument",
      message: "bad",
      details: [
        {
          type: "google.rpc.BadRequest",
          value: expect.any(String),
          debug: { fieldViolations: [{ field: "a", description: "b" }] },
        },
      ],
    });
    const bytes = Buffer.from(json.details[0]!.value, "base64");
    expect(fromBinary(BadRequestSchema, bytes).fieldViolations[0]?.field).toBe("a");
  });

  it("keeps a backend's server fault as it sent it, and maps codes outside gRPC's to UNKNOWN", async () => {
    // libs' server already hides the message of its faults; the gateway keeps the code.
    const backendFault = await grpcError(grpc.unary(method.fail, { code: 13, message: "db down" }));
    expect({ code: backendFault.code, message: backendFault.details }).toEqual({
      code: 13,
      message: "internal error",
    });
    const odd = await grpcError(grpc.unary(RawService.method.raw, { code: 42, message: "odd" }));
    expect(odd.code).toBe(2);
  });

  it("refuses a request message over BODY_LIMIT", async () => {
    const big = { id: "big", tags: ["x".repeat(1024 * 1024)] };
    const viaGrpc = await grpcError(grpc.unary(method.echo, big));
    expect(viaGrpc.code).toBe(8);
    for (const [name, client] of Object.entries(clients)) {
      const error = await connectError(client.echo(big));
      expect({ name, code: error.code }).toEqual({ name, code: Code.ResourceExhausted });
    }
  });

  it("takes the client's deadline, capped by the route's policy timeout", async () => {
    const short = await grpc.unary(method.sleep, {}, { timeoutMs: 1_000 });
    const left = Number((short.message as unknown as { deadlineMs: bigint }).deadlineMs);
    expect(left).toBeGreaterThan(500);
    expect(left).toBeLessThanOrEqual(1_000);
    const long = await grpc.unary(method.sleep, {}, { timeoutMs: 60_000 });
    expect(
      Number((long.message as unknown as { deadlineMs: bigint }).deadlineMs),
    ).toBeLessThanOrEqual(1_500);
    const viaConnect = await clients["connect (HTTP/1.1, port 8000)"]!.sleep(
      {},
      { timeoutMs: 800 },
    );
    expect(Number(viaConnect.deadlineMs)).toBeLessThanOrEqual(800);

    const late = await grpcError(
      grpc.unary(method.sleep, { delay: { seconds: 5n } }, { timeoutMs: 300 }),
    );
    expect(late.code).toBe(4);
    const capped = await grpcError(grpc.unary(method.sleep, { delay: { seconds: 5n } }));
    expect(capped.code).toBe(4);
    for (const [name, client] of Object.entries(clients)) {
      const error = await connectError(
        client.sleep({ delay: { seconds: 5n } }, { timeoutMs: 300 }),
      );
      expect({ name, code: error.code }).toEqual({ name, code: Code.DeadlineExceeded });
    }
  });

  it("answers CORS preflights for Connect and gRPC-Web paths on port 8000", async () => {
    const answer = await stack.gateway.call("OPTIONS", "/conformance.v1.ConformanceService/Echo", {
      headers: {
        origin: "https://app.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type, connect-protocol-version",
      },
    });
    expect(answer.status).toBe(204);
    expect(answer.headers["access-control-allow-methods"]).toBe("POST, GET, OPTIONS");
    expect(answer.headers["access-control-allow-headers"]).toContain("connect-protocol-version");
    const call = await fetch(
      `http://127.0.0.1:${stack.gateway.port}/conformance.v1.ConformanceService/Echo`,
      {
        method: "POST",
        headers: { "content-type": "application/json", origin: "https://app.example" },
        body: "{}",
      },
    );
    expect(call.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(call.headers.get("access-control-expose-headers")).toContain("grpc-status-details-bin");
  });

  it("serves grpc.health.v1 as /ready says", async () => {
    const health = connectTestClient(Health, stack.gateway.grpcPort, "2", true);
    expect((await health.check({})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect((await health.check({ service: "conformance.v1.ConformanceService" })).status).toBe(
      HealthCheckResponse_ServingStatus.SERVING,
    );
    expect((await connectError(health.check({ service: "nope.Service" }))).code).toBe(
      Code.NotFound,
    );
    const cancel = new AbortController();
    const watch = health.watch({ service: "" }, { signal: cancel.signal })[Symbol.asyncIterator]();
    expect((await watch.next()).value?.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    cancel.abort();
    const list = await health.list({});
    expect(Object.keys(list.statuses).sort()).toEqual([
      "",
      "conformance.v1.ConformanceService",
      "conformance.v1.RawService",
    ]);
  });

  it("counts every call in the RPC metrics by protocol, refusals included", async () => {
    const metrics = (await stack.gateway.call("GET", "/metrics")).text;
    for (const protocol of ["grpc", "connect", "grpc-web"]) {
      expect(metrics).toMatch(
        new RegExp(
          `rpc_server_requests_total\\{[^}]*method="/conformance.v1.ConformanceService/Echo",protocol="${protocol}",code="OK"`,
        ),
      );
    }
    expect(metrics).toMatch(
      /rpc_server_requests_total\{[^}]*WhoAmI",protocol="grpc",code="UNAUTHENTICATED"[^}]*\} [1-9]/,
    );
    expect(metrics).toMatch(
      /http_server_requests_total\{route="\/conformance.v1.ConformanceService\/Echo",method="POST",status="200"/,
    );
  });
});

/**
 * The edge's policy over gRPC exactly as over REST: one rate-limit budget per client
 * whatever the protocol, the backend's circuit breaker with its last-good fallback,
 * server reflection that shows only what a client may call (asked by a grpc-js
 * reflection client, v1 and v1alpha), one log line per call, and one trace per call.
 */
import { create, fromBinary, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { Client, credentials, Metadata } from "@grpc/grpc-js";
import { context, propagation, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { ErrorInfoSchema, RetryInfoSchema } from "@shop/gen/es/google/rpc/error_details_pb";
import { StatusSchema } from "@shop/gen/es/google/rpc/status_pb";
import { createTestIssuer } from "@shop/libs/testing";
import {
  ExtensionRequestSchema,
  ServerReflectionRequestSchema,
  type ServerReflectionResponse,
  ServerReflectionResponseSchema,
} from "../../src/gen/grpc/reflection/v1/reflection_pb";
import { ServerReflectionResponseSchema as AlphaResponseSchema } from "../../src/gen/grpc/reflection/v1alpha/reflection_pb";
import { ConformanceService } from "../gen/conformance/v1/conformance_pb";
import { startConformanceBackends } from "../support/conformance-backend";
import {
  connectTestClient,
  grpcError,
  grpcTestClient,
  grpcWebTestClient,
} from "../support/rpc-clients";
import {
  conformanceBackendSpecs,
  startConformanceStack,
  startTestGateway,
} from "../support/test-gateway";

const method = ConformanceService.method;

async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean) {
  const deadline = Date.now() + 10_000;
  let value = await probe();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await probe();
  }
  return value;
}

async function settle<T>(call: Promise<T>): Promise<T | ConnectError> {
  try {
    return await call;
  } catch (error) {
    return ConnectError.from(error);
  }
}

describe("rate limits over every protocol", () => {
  it("share one budget per client with REST, and refuse with RESOURCE_EXHAUSTED and RetryInfo", async () => {
    const stack = await startConformanceStack({ RATE_LIMIT_ANONYMOUS: "4/1m" });
    const grpc = grpcTestClient(stack.gateway.grpcPort);
    try {
      expect((await stack.gateway.call("GET", "/v1/echo/a")).status).toBe(200);
      const first = await grpc.unary(method.echo, { id: "b" });
      expect(first.headers.get("ratelimit-remaining")).toEqual(["2"]);
      await connectTestClient(ConformanceService, stack.gateway.port).echo({ id: "c" });
      await grpcWebTestClient(ConformanceService, stack.gateway.port).echo({ id: "d" });

      const refused = await grpcError(grpc.unary(method.echo, { id: "e" }));
      expect(refused.code).toBe(8);
      expect(refused.details).toContain("rate limit exceeded (anonymous)");
      expect(Number(refused.metadata.get("retry-after")[0])).toBeGreaterThanOrEqual(1);
      const status = fromBinary(
        StatusSchema,
        refused.metadata.get("grpc-status-details-bin")[0] as Buffer,
      );
      expect(status.details.map((d) => d.typeUrl)).toEqual([
        "type.googleapis.com/google.rpc.RetryInfo",
      ]);
      const connect = await settle(
        connectTestClient(ConformanceService, stack.gateway.port).echo({ id: "f" }),
      );
      expect((connect as ConnectError).code).toBe(Code.ResourceExhausted);
      expect((connect as ConnectError).findDetails(RetryInfoSchema)).toHaveLength(1);
      expect((await stack.gateway.call("GET", "/v1/echo/g")).status).toBe(429);
    } finally {
      grpc.close();
      await stack.stop();
    }
  });
});

describe("circuit breaker over gRPC", () => {
  it("opens on backend failures, fails fast, serves the last good read, and closes again", async () => {
    const stack = await startConformanceStack({
      BREAKER_VOLUME_THRESHOLD: "3",
      BREAKER_RESET_TIMEOUT: "1s",
      STALE_FALLBACK_RPCS: "conformance.v1.ConformanceService/GetBook",
    });
    const grpc = grpcTestClient(stack.gateway.grpcPort);
    let backends = stack.backends;
    const { port, rawPort } = backends;
    try {
      const fresh = await grpc.unary(method.getBook, { id: "b1" });
      expect(fresh.headers.get("x-gateway-fallback")).toEqual([]);
      await backends.stop();
      for (let i = 0; i < 4; i++) {
        expect((await grpcError(grpc.unary(method.echo, { id: "x" }))).code).toBe(14);
      }
      const open = await grpcError(grpc.unary(method.echo, { id: "x" }));
      expect({ code: open.code, message: open.details }).toEqual({
        code: 14,
        message: "conformance is unavailable (circuit open)",
      });
      const status = fromBinary(
        StatusSchema,
        open.metadata.get("grpc-status-details-bin")[0] as Buffer,
      );
      const info = status.details.find((d) => d.typeUrl.endsWith("ErrorInfo"))!;
      expect(fromBinary(ErrorInfoSchema, info.value).reason).toBe("CIRCUIT_OPEN");
      // The breaker is the backend's, whatever protocol tripped it: REST sees it open too.
      expect((await stack.gateway.call("GET", "/v1/echo/x")).status).toBe(503);

      const stale = await grpc.unary(method.getBook, { id: "b1" });
      expect(stale.message).toEqual(fresh.message);
      expect(stale.headers.get("x-gateway-fallback")).toEqual(["stale"]);
      expect((await grpcError(grpc.unary(method.getBook, { id: "b2" }))).code).toBe(14);

      backends = await startConformanceBackends(stack.issuer, { port, rawPort });
      const recovered = await eventually(
        () => settle(grpc.unary(method.echo, { id: "x" })),
        (answer) => !(answer instanceof Error),
      );
      expect(recovered).not.toBeInstanceOf(Error);
    } finally {
      grpc.close();
      await stack.gateway.stop();
      await backends.stop();
      await stack.issuer.close();
    }
  });
});

describe("graceful stop", () => {
  it("lets short calls finish, then ends open streams with UNAVAILABLE on both ports", async () => {
    const stack = await startConformanceStack({ SHUTDOWN_GRACE: "500ms" });
    const grpc = grpcTestClient(stack.gateway.grpcPort);
    try {
      const watch = { id: "long", count: 1_000, interval: { nanos: 50_000_000 } };
      const overGrpc = grpc.open(method.watch, watch)[Symbol.asyncIterator]();
      const overConnect = connectTestClient(ConformanceService, stack.gateway.port)
        .watch(watch)
        [Symbol.asyncIterator]();
      await Promise.all([overGrpc.next(), overConnect.next()]);
      const short = grpc.unary(method.sleep, { delay: { nanos: 200_000_000 } });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const stopped = stack.gateway.stop();

      expect((await short).message).toMatchObject({ completed: true });
      const drain = async (it: AsyncIterator<unknown>) => {
        for (let next = await it.next(); !next.done; next = await it.next()) {
          // Messages keep coming until the grace period is over.
        }
      };
      const grpcEnd = await grpcError(drain(overGrpc));
      expect({ code: grpcEnd.code, message: grpcEnd.details }).toEqual({
        code: 14,
        message: "the gateway is shutting down",
      });
      const connectEnd = await settle(drain(overConnect));
      expect((connectEnd as ConnectError).code).toBe(Code.Unavailable);
      await stopped;
    } finally {
      grpc.close();
      await stack.gateway.stop();
      await stack.backends.stop();
      await stack.issuer.close();
    }
  });
});

describe("server reflection at the edge", () => {
  let stack: Awaited<ReturnType<typeof startConformanceStack>>;
  let client: Client;
  beforeAll(async () => {
    stack = await startConformanceStack();
    client = new Client(`127.0.0.1:${stack.gateway.grpcPort}`, credentials.createInsecure());
  });
  afterAll(async () => {
    client.close();
    await stack.stop();
  });

  /** One request on a grpc-js reflection stream of `version`, and its answer as v1. */
  function reflect(
    request: MessageShape<typeof ServerReflectionRequestSchema>["messageRequest"],
    version: "v1" | "v1alpha" = "v1",
  ): Promise<ServerReflectionResponse> {
    // The two versions are the same messages under another package: same bytes.
    const responseSchema = version === "v1" ? ServerReflectionResponseSchema : AlphaResponseSchema;
    const call = client.makeBidiStreamRequest(
      `/grpc.reflection.${version}.ServerReflection/ServerReflectionInfo`,
      (bytes: Buffer) => bytes,
      (bytes: Buffer) => bytes,
      new Metadata(),
    );
    return new Promise((resolve, reject) => {
      call.once("data", (bytes: Buffer) => {
        expect(fromBinary(responseSchema, bytes).$typeName).toBe(responseSchema.typeName);
        resolve(fromBinary(ServerReflectionResponseSchema, bytes));
        call.end();
      });
      call.once("error", reject);
      const message = create(ServerReflectionRequestSchema, { messageRequest: request });
      call.write(Buffer.from(toBinary(ServerReflectionRequestSchema, message)));
    });
  }

  const files = (response: ServerReflectionResponse) =>
    response.messageResponse.case === "fileDescriptorResponse"
      ? response.messageResponse.value.fileDescriptorProto.map((bytes) =>
          fromBinary(FileDescriptorProtoSchema, bytes),
        )
      : [];

  it("lists the exposed services, reflection and health, over v1 and v1alpha", async () => {
    for (const version of ["v1", "v1alpha"] as const) {
      const answer = await reflect({ case: "listServices", value: "" }, version);
      expect(answer.messageResponse.case).toBe("listServicesResponse");
      const names =
        answer.messageResponse.case === "listServicesResponse"
          ? answer.messageResponse.value.service.map((s) => s.name)
          : [];
      expect(names).toEqual([
        "conformance.v1.ConformanceService",
        "conformance.v1.RawService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
      ]);
    }
  });

  it("describes a service without its internal and unmarked methods, with its imports", async () => {
    const answer = await reflect({
      case: "fileContainingSymbol",
      value: "conformance.v1.ConformanceService",
    });
    const [file, ...imports] = files(answer);
    expect(file?.name).toBe("conformance/v1/conformance.proto");
    const service = file?.service.find((s) => s.name === "ConformanceService");
    const methods = service?.method.map((m) => m.name) ?? [];
    expect(methods).toEqual(expect.arrayContaining(["Echo", "Watch", "WhoAmI", "Purge"]));
    expect(methods).not.toContain("Secret");
    expect(methods).not.toContain("Unmarked");
    expect(imports.map((f) => f.name)).toEqual(
      expect.arrayContaining(["google/api/annotations.proto", "shop/options/v1/options.proto"]),
    );
    const byName = await reflect({ case: "fileByFilename", value: "google/api/http.proto" });
    expect(files(byName)[0]?.name).toBe("google/api/http.proto");
  });

  it("knows the exposed methods and messages, and nothing of the internal ones", async () => {
    const echo = await reflect({
      case: "fileContainingSymbol",
      value: "conformance.v1.ConformanceService.Echo",
    });
    expect(files(echo)[0]?.name).toBe("conformance/v1/conformance.proto");
    const message = await reflect({
      case: "fileContainingSymbol",
      value: "conformance.v1.EchoRequest",
    });
    expect(files(message)).not.toHaveLength(0);
    for (const symbol of ["conformance.v1.ConformanceService.Secret", "nope.Service"]) {
      const answer = await reflect({ case: "fileContainingSymbol", value: symbol });
      expect(answer.messageResponse).toMatchObject({
        case: "errorResponse",
        value: { errorCode: 5 },
      });
    }
    expect(
      (await reflect({ case: "fileByFilename", value: "secret.proto" })).messageResponse.case,
    ).toBe("errorResponse");
  });

  it("answers extension questions for the options the contracts use", async () => {
    const numbers = await reflect({
      case: "allExtensionNumbersOfType",
      value: "google.protobuf.MethodOptions",
    });
    expect(numbers.messageResponse.case).toBe("allExtensionNumbersResponse");
    const list =
      numbers.messageResponse.case === "allExtensionNumbersResponse"
        ? numbers.messageResponse.value.extensionNumber
        : [];
    expect(list).toContain(72295728); // google.api.http
    const http = await reflect({
      case: "fileContainingExtension",
      value: create(ExtensionRequestSchema, {
        containingType: "google.protobuf.MethodOptions",
        extensionNumber: 72295728,
      }),
    });
    expect(files(http)[0]?.name).toBe("google/api/annotations.proto");
    const unknown = await reflect({ case: "allExtensionNumbersOfType", value: "nope.Message" });
    expect(unknown.messageResponse.case).toBe("errorResponse");
  });
});

describe("logs and traces", () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
  });
  afterAll(() => {
    trace.disable();
    propagation.disable();
    context.disable();
  });

  it("writes one line per call and continues the client's trace", async () => {
    const issuer = await createTestIssuer();
    const backends = await startConformanceBackends(issuer);
    const lines: Record<string, unknown>[] = [];
    const gateway = await startTestGateway({
      env: { ...issuer.env, LOG_LEVEL: "info" },
      backends: conformanceBackendSpecs(backends),
      logDestination: { write: (line) => void lines.push(JSON.parse(line)) },
    });
    const grpc = grpcTestClient(gateway.grpcPort);
    try {
      const traceId = "0af7651916cd43dd8448eb211c80319c";
      const token = await issuer.token("user-9", "customer");
      await grpc.unary(
        method.echo,
        { id: "t" },
        {
          metadata: {
            traceparent: `00-${traceId}-b7ad6b7169203331-01`,
            authorization: `Bearer ${token}`,
            "x-request-id": "log-rpc-1",
          },
        },
      );
      expect(lines.find((l) => l.requestId === "log-rpc-1")).toMatchObject({
        service: "api-gateway",
        message: "rpc completed",
        protocol: "grpc",
        rpc: "conformance.v1.ConformanceService/Echo",
        code: "OK",
      });
      expect(JSON.stringify(lines)).not.toContain(token);
      const span = exporter.getFinishedSpans().find((s) => s.name.endsWith("/Echo"));
      expect(span?.spanContext().traceId).toBe(traceId);
      expect(span?.parentSpanContext?.spanId).toBe("b7ad6b7169203331");
      expect(span?.attributes).toMatchObject({ "rpc.system": "grpc", "rpc.method": "Echo" });
    } finally {
      grpc.close();
      await gateway.stop();
      await backends.stop();
      await issuer.close();
    }
  });
});

/**
 * Test support: the backends of the test-only contract. ConformanceService runs in
 * libs' real gRPC server (access levels from its options, service and access tokens
 * verified, errors with google.rpc details), and answers with what it received, so the
 * gateway's transcoding can be checked end to end. RawService runs in a bare grpc-js
 * server, for what libs' server never does: response metadata and status codes outside
 * gRPC's table.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { create, type Message } from "@bufbuild/protobuf";
import {
  type handleUnaryCall,
  Metadata,
  Server,
  ServerCredentials,
  type ServiceDefinition,
  type status,
} from "@grpc/grpc-js";
import {
  createAccessTokenVerifier,
  createServiceTokenVerifier,
  loadServiceKeys,
  serviceKeyFiles,
} from "@shop/libs/auth";
import { type Code, ServiceError } from "@shop/libs/errors";
import { accessLevelsFromContracts, type CallContext, createGrpcServer } from "@shop/libs/grpc";
import { createLogger } from "@shop/libs/logging";
import { createMetrics } from "@shop/libs/metrics";
import { defaultRuntimeConfig } from "@shop/libs/runtime-config";
import { devServiceKeysDir } from "@shop/libs/service";
import type { TestIssuer } from "@shop/libs/testing";
import {
  BookSchema,
  type CancelOperationRequest,
  ConformanceService,
  type EchoRequest,
  EchoResponseSchema,
  type FailRequest,
  type GetBookRequest,
  GetBookResponseSchema,
  type GetFileRequest,
  GetFileResponseSchema,
  OperationSchema,
  type PurgeRequest,
  PurgeResponseSchema,
  type RawRequest,
  RawResponseSchema,
  RawService,
  SecretResponseSchema,
  type SleepRequest,
  SleepResponseSchema,
  type UpdateBookRequest,
  WatchEventSchema,
  type WatchRequest,
  WhoAmIResponseSchema,
} from "../gen/conformance/v1/conformance_pb";
import { serviceDefinitionFromEs } from "./es-service-definition";

export interface ConformanceBackends {
  /** Port of ConformanceService (libs' server). */
  readonly port: number;
  /** Port of RawService (bare grpc-js). */
  readonly rawPort: number;
  stop(): Promise<void>;
}

type Handler = (request: never, ctx: CallContext) => unknown;

/** Every incoming key and value, tokens reduced to whether they were there. */
function seenMetadata(metadata: Metadata): Record<string, string> {
  const seen: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata.getMap())) {
    if (key === "x-service-token") seen[key] = "present";
    else seen[key] = typeof value === "string" ? value : Buffer.from(value).toString("base64");
  }
  return seen;
}

const deadlineMs = (ctx: CallContext) =>
  BigInt(ctx.deadline ? Math.max(0, ctx.deadline.getTime() - Date.now()) : 0);

const conformanceHandlers: Record<string, Handler> = {
  async echo(request: EchoRequest, ctx) {
    return create(EchoResponseSchema, {
      request,
      metadata: seenMetadata(ctx.metadata),
      caller: ctx.caller ?? "",
      userId: ctx.user?.userId ?? "",
      deadlineMs: deadlineMs(ctx),
    });
  },
  async getFile(request: GetFileRequest) {
    return create(GetFileResponseSchema, { path: request.path, tree: request.tree });
  },
  async updateBook(request: UpdateBookRequest) {
    const mask = request.updateMask?.paths.join(",") ?? "";
    const book = request.book ?? create(BookSchema);
    return { ...book, author: `mask=${mask};allow_missing=${request.allowMissing}` };
  },
  async getBook(request: GetBookRequest) {
    if (request.id === "missing") return create(GetBookResponseSchema);
    const title = `Title of ${request.id}`;
    const book = create(BookSchema, {
      shelf: "s1",
      id: request.id,
      title,
      pages: 9007199254740993n,
    });
    return create(GetBookResponseSchema, { title, book });
  },
  async cancelOperation(request: CancelOperationRequest) {
    return create(OperationSchema, { name: request.name, cancelled: true, reason: request.reason });
  },
  async fail(request: FailRequest) {
    throw new ServiceError(request.code as Code, request.message, {
      fieldViolations: request.violations.map((v) => ({
        field: v.field,
        description: v.description,
      })),
      ...(request.retryAfterMs > 0n ? { retryAfterMs: Number(request.retryAfterMs) } : {}),
      ...(request.reason ? { reason: request.reason } : {}),
    });
  },
  async *watch(request: WatchRequest, ctx: CallContext) {
    const pause = request.interval
      ? Number(request.interval.seconds) * 1000 + request.interval.nanos / 1e6
      : 0;
    for (let sequence = 1; sequence <= request.count; sequence++) {
      yield create(WatchEventSchema, { id: request.id, sequence });
      if (pause > 0) await sleep(pause, undefined, { signal: ctx.signal }).catch(() => undefined);
    }
    if (request.failCode !== 0)
      throw new ServiceError(request.failCode as Code, `watch ${request.id} failed`);
  },
  async sleep(request: SleepRequest, ctx: CallContext) {
    const left = deadlineMs(ctx);
    const delay = request.delay
      ? Number(request.delay.seconds) * 1000 + request.delay.nanos / 1e6
      : 0;
    let completed = true;
    await sleep(delay, undefined, { signal: ctx.signal }).catch(() => {
      completed = false;
    });
    return create(SleepResponseSchema, { deadlineMs: left, completed });
  },
  async whoAmI(_request: never, ctx: CallContext) {
    return create(WhoAmIResponseSchema, {
      userId: ctx.user?.userId ?? "",
      role: ctx.user?.role ?? "",
    });
  },
  async purge(request: PurgeRequest, ctx: CallContext) {
    return create(PurgeResponseSchema, { scope: request.scope, purgedBy: ctx.user?.userId ?? "" });
  },
  async secret() {
    return create(SecretResponseSchema, { secret: "leaked" });
  },
  async unmarked() {
    return create(SecretResponseSchema, { secret: "leaked" });
  },
};

/** Starts both servers, on the given ports (to restart them where they were) or free ones. */
export async function startConformanceBackends(
  issuer: TestIssuer,
  ports: { port?: number; rawPort?: number } = {},
): Promise<ConformanceBackends> {
  const keys = await loadServiceKeys(serviceKeyFiles(devServiceKeysDir(), "product-service"));
  // The contract's server pretends to be product-service: libs' server takes mesh names.
  const logger = createLogger({ service: "product-service", level: "silent" });
  const server = createGrpcServer({
    service: "product-service",
    logger,
    metrics: createMetrics("product-service"),
    runtimeConfig: defaultRuntimeConfig("product-service"),
    accessTokens: createAccessTokenVerifier({
      jwksUrl: issuer.env.JWKS_URL,
      issuer: issuer.env.JWT_ISSUER,
      audience: issuer.env.JWT_AUDIENCE,
    }),
    serviceTokens: createServiceTokenVerifier({ jwks: keys.jwks }),
    env: {},
    shutdownGraceMs: 500,
    accessLevels: accessLevelsFromContracts([ConformanceService]),
  });
  server.add(serviceDefinitionFromEs(ConformanceService), conformanceHandlers as never);
  const port = await server.start("127.0.0.1", ports.port ?? 0);

  const raw = new Server();
  const rawHandler: handleUnaryCall<RawRequest, Message> = (call, callback) => {
    const { request } = call;
    if (request.code !== 0) {
      callback({ code: request.code as status, details: request.message });
      return;
    }
    const headers = new Metadata();
    headers.set("x-echo-header", "from-backend");
    headers.set("x-echo-bin", Buffer.from([1, 2, 3]));
    call.sendMetadata(headers);
    const trailer = new Metadata();
    trailer.set("x-echo-trailer", "done");
    callback(null, create(RawResponseSchema, { text: "raw" }), trailer);
  };
  raw.addService(serviceDefinitionFromEs(RawService) as unknown as ServiceDefinition, {
    raw: rawHandler,
  });
  const rawPort = await new Promise<number>((resolve, reject) =>
    raw.bindAsync(
      `127.0.0.1:${ports.rawPort ?? 0}`,
      ServerCredentials.createInsecure(),
      (error, bound) => (error ? reject(error) : resolve(bound)),
    ),
  );

  return {
    port,
    rawPort,
    async stop() {
      raw.forceShutdown();
      await server.shutdown();
    },
  };
}

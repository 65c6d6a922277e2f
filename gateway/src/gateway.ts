/**
 * The api-gateway's wiring: configuration, libs' logger, metrics, service identity,
 * access-token verifier and Redis infrastructure, the backends, the routes built from
 * the descriptors, the edge pipeline, OpenAPI, the HTTP server (port 8000: REST,
 * Connect, gRPC-Web) and the h2c server (port 9000: gRPC, Connect, gRPC-Web).
 *
 * The gateway composes libs' pieces rather than using createServiceRuntime: the
 * runtime's HTTP server is an admin server (GET-only, exact paths), while the
 * gateway's port 8000 is the API itself and serves /health, /ready and /metrics beside
 * it (DESIGN.md); it owns no database and consumes events only to invalidate its
 * response cache (a tail subscription of each cached backend's stream). Nothing is module-level:
 * the embedded mode may start it next to the services in one process.
 */
import type { DescService } from "@bufbuild/protobuf";
import { OrderService } from "@shop/gen/es/shop/order/v1/order_pb";
import { ProductService } from "@shop/gen/es/shop/product/v1/product_pb";
import { UserService } from "@shop/gen/es/shop/user/v1/user_pb";
import {
  createAccessTokenVerifier,
  createServiceTokenSigner,
  loadServiceKeys,
} from "@shop/libs/auth";
import type { Env } from "@shop/libs/config";
import { createLogger, type LoggerConfig } from "@shop/libs/logging";
import type { ServiceName } from "@shop/libs/mesh";
import { createMetrics } from "@shop/libs/metrics";
import { loadRuntimeConfig } from "@shop/libs/runtime-config";
import {
  createRedisInfrastructure,
  type Infrastructure,
  upstreamAddressVariable,
} from "@shop/libs/service";
import { Counter, type Registry } from "prom-client";
import type { BackendSpec } from "./backend/backend-client";
import { createBackends } from "./backend/backends";
import { type GatewayConfig, parseGatewayConfig } from "./config/gateway-config";
import { renderDocsPage } from "./docs/docs-page";
import { createAccessControl } from "./edge/access-control";
import { type BreakerSettings, createCircuitBreakers } from "./edge/circuit-breakers";
import { createEdgePipeline } from "./edge/edge-pipeline";
import { createLastGoodCache } from "./edge/last-good-cache";
import { createRateLimits, rateLimitPolicyFromConfig } from "./edge/rate-limits";
import { createResponseCache } from "./edge/response-cache";
import { subscribeResponseCacheInvalidation } from "./edge/response-cache-invalidation";
import { rpcTargetsFromServices } from "./edge/rpc-target";
import { createGatewayRoutes } from "./gateway-routes";
import { createGatewayReadiness } from "./health/gateway-readiness";
import { createCors } from "./http/cors";
import { createHttpMetrics } from "./http/http-metrics";
import { createHttpServer, jsonRoute } from "./http/http-server";
import { createRestHandler } from "./http/rest-handler";
import { createOpenApiDocument } from "./openapi/openapi-document";
import { createRpcEdge } from "./rpc/rpc-edge";
import { createRpcServer, endCalls } from "./rpc/rpc-server";
import { createJsonCodec } from "./transcoding/json-codec";

export interface GatewayOptions {
  env: Env;
  /** Default: Redis at REDIS_URL. The embedded mode passes in-memory adapters. */
  infrastructure?: Infrastructure;
  /** Where log lines go (tests read them back); stdout by default. */
  logDestination?: LoggerConfig["destination"];
  /** The backends and the services they serve; default: the shop's three services. */
  backends?: readonly BackendSpec[];
}

export interface Gateway {
  readonly httpPort: number;
  /** Port of the gRPC / Connect / gRPC-Web edge (h2c). */
  readonly grpcPort: number;
  readonly config: GatewayConfig;
  /** Graceful: readiness false, finish requests within SHUTDOWN_GRACE, close clients. */
  stop(): Promise<void>;
}

const REDIS_START_WAIT_MS = 2_000;

const BREAKER_DEFAULTS = { errorThresholdPercent: 50, volumeThreshold: 20, resetTimeoutMs: 10_000 };

/** The shop's services and where the environment says they are. */
export function shopBackends(config: GatewayConfig): BackendSpec[] {
  const spec = (name: ServiceName, service: DescService): BackendSpec => ({
    name,
    // serviceEnvShape builds the *_ADDR variables from the mesh catalogue, so their
    // names are not in the parsed type.
    target: String((config as Record<string, unknown>)[upstreamAddressVariable(name)]),
    services: [service],
  });
  return [
    spec("user-service", UserService),
    spec("product-service", ProductService),
    spec("order-service", OrderService),
  ];
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const config = parseGatewayConfig(options.env);
  const logger = createLogger({
    service: "api-gateway",
    level: config.LOG_LEVEL,
    ...(options.logDestination ? { destination: options.logDestination } : {}),
  });
  const metrics = createMetrics("api-gateway");
  const runtimeConfig = loadRuntimeConfig("api-gateway", config.RUNTIME_CONFIG_PATH);
  const keys = await loadServiceKeys({
    privateKeyPath: config.SERVICE_KEY_PATH,
    jwksPath: config.SERVICE_JWKS_PATH,
  });
  const signer = createServiceTokenSigner({ service: "api-gateway", privateKey: keys.privateKey });
  const infrastructure =
    options.infrastructure ??
    createRedisInfrastructure({
      url: config.REDIS_URL,
      service: "api-gateway",
      logger,
      keyPrefix: config.REDIS_KEY_PREFIX,
    });

  const backends = createBackends(options.backends ?? shopBackends(config), {
    runtimeConfig,
    meshMode: config.MESH_MODE,
    maxReconnectBackoffMs: config.BACKEND_RECONNECT_MAX,
  });
  const { bindings, aggregations, skipped, router } = createGatewayRoutes(backends.services);
  for (const rpc of skipped) logger.debug(rpc, "RPC not exposed over REST");
  const rpcTargets = rpcTargetsFromServices(backends.services);
  for (const rpc of rpcTargets.skipped) logger.debug(rpc, "RPC not exposed over gRPC");
  const codec = createJsonCodec(backends.services);

  const breakerSettings = (backend: string): BreakerSettings => {
    const fromPolicy = runtimeConfig.upstreams[backend as ServiceName]?.breaker ?? BREAKER_DEFAULTS;
    return {
      errorThresholdPercent:
        config.BREAKER_ERROR_THRESHOLD_PERCENT ?? fromPolicy.errorThresholdPercent,
      volumeThreshold: config.BREAKER_VOLUME_THRESHOLD ?? fromPolicy.volumeThreshold,
      resetTimeoutMs: config.BREAKER_RESET_TIMEOUT ?? fromPolicy.resetTimeoutMs,
      windowMs: config.BREAKER_WINDOW,
    };
  };
  const breakers = createCircuitBreakers({
    backends: backends.clients.map((c) => c.name),
    settings: breakerSettings,
    logger,
    registry: metrics.registry,
  });
  // Answers are cached only while invalidations can arrive: the tail is in place and
  // Redis answers.
  let invalidationReady = false;
  const responseCache =
    config.RESPONSE_CACHE && Object.keys(runtimeConfig.responseCache).length > 0
      ? createResponseCache({
          rules: runtimeConfig.responseCache,
          maxEntries: config.RESPONSE_CACHE_ENTRIES,
          maxBytes: config.RESPONSE_CACHE_MAX_BYTES,
          online: () => invalidationReady && infrastructure.isUp(),
        })
      : undefined;
  const pipeline = createEdgePipeline({
    backends,
    accessControl: createAccessControl(
      createAccessTokenVerifier({
        jwksUrl: config.JWKS_URL,
        issuer: config.JWT_ISSUER,
        audience: config.JWT_AUDIENCE,
      }),
    ),
    rateLimits: createRateLimits({
      limiter: infrastructure.rateLimiter("api-gateway:rate:"),
      policy: rateLimitPolicyFromConfig(config),
      logger,
      registry: metrics.registry,
    }),
    breakers,
    lastGood: createLastGoodCache({
      maxEntries: config.STALE_CACHE_ENTRIES,
      maxBytes: config.STALE_CACHE_MAX_BYTES,
      maxAgeMs: config.STALE_MAX_AGE,
    }),
    fallbackRpcs: new Set(config.STALE_FALLBACK_RPCS),
    signer,
    metrics,
    ...(responseCache ? { responseCache } : {}),
  });
  const invalidation = responseCache
    ? subscribeResponseCacheInvalidation({
        bus: infrastructure.bus,
        cache: responseCache,
        backends: [
          ...new Set(
            rpcTargets.targets
              .filter((rpc) => responseCache.ttlOf(rpc.fullName) !== undefined)
              .map((rpc) => pipeline.backendOf(rpc)),
          ),
        ],
        logger,
        registry: metrics.registry,
      })
    : undefined;
  void invalidation?.ready.then(() => {
    invalidationReady = true;
  });

  const readiness = createGatewayReadiness({
    registry: metrics.registry,
    jwksUrl: config.JWKS_URL,
    redisUp: () => infrastructure.isUp(),
    backends: backends.clients,
    breakerStates: () => breakers.states(),
    logger,
  });
  const rpcEdge = createRpcEdge({
    targets: rpcTargets.targets,
    pipeline,
    registry: codec.registry,
    logger,
    metrics,
    fallbackRpcs: new Set(config.STALE_FALLBACK_RPCS),
    trustedHops: config.TRUST_PROXY_HOPS,
    readMaxBytes: config.BODY_LIMIT,
    isReady: async () => (await readiness.report()).status === 200,
  });
  const rpcServer = createRpcServer(rpcEdge);
  const openapi = createOpenApiDocument(bindings, aggregations, {
    title: "Shop API",
    version: "v1",
    description: "REST API of the shop, transcoded by api-gateway to the services' gRPC contracts.",
  });
  const openapiText = JSON.stringify(openapi);
  const docsPage = renderDocsPage(openapi);

  const server = createHttpServer({
    router,
    rest: createRestHandler({
      pipeline,
      codec,
      bodyLimit: config.BODY_LIMIT,
      trustedHops: config.TRUST_PROXY_HOPS,
      ...(responseCache
        ? { responseCache, onCacheLookup: countCacheLookup(metrics.registry) }
        : {}),
    }),
    pipeline,
    codec,
    builtIns: {
      "/health": jsonRoute(async () => ({
        status: 200,
        body: { status: "ok", service: "api-gateway" },
      })),
      "/ready": jsonRoute(
        () => readiness.report() as Promise<{ status: number; body: Record<string, never> }>,
      ),
      "/metrics": async (exchange) => {
        const text = await metrics.render();
        exchange.sendText(200, metrics.registry.contentType, text, { "cache-control": "no-store" });
      },
      "/openapi.json": (exchange) => exchange.sendText(200, "application/json", openapiText),
      "/docs": (exchange) => exchange.sendText(200, "text/html; charset=utf-8", docsPage),
    },
    cors: createCors({
      allowOrigins: config.CORS_ALLOW_ORIGINS,
      allowHeaders: config.CORS_ALLOW_HEADERS,
      exposeHeaders: config.CORS_EXPOSE_HEADERS,
      maxAgeMs: config.CORS_MAX_AGE,
      allowCredentials: config.CORS_ALLOW_CREDENTIALS,
    }),
    metrics: createHttpMetrics(metrics.registry),
    logger,
    aggregationTimeoutMs: config.AGGREGATION_TIMEOUT,
    trustedHops: config.TRUST_PROXY_HOPS,
    rpc: rpcEdge,
  });

  readiness.startJwksProbe();
  // Rate limits fail open while Redis is down; a moment's wait at start-up keeps the
  // first requests from being counted as an outage.
  await waitFor(() => infrastructure.isUp(), REDIS_START_WAIT_MS);
  const httpPort = await server.start(config.HOST, config.HTTP_PORT);
  let grpcPort: number;
  try {
    grpcPort = await rpcServer.start(config.HOST, config.GRPC_PORT);
  } catch (error) {
    await server.stop(0);
    throw error;
  }
  readiness.readiness.markReady();
  logger.info(
    {
      httpPort,
      grpcPort,
      routes: router.entries.length,
      rpcs: rpcTargets.targets.length,
      backends: backends.clients.map((c) => c.name),
    },
    "api-gateway ready",
  );

  let stopping: Promise<void> | undefined;
  return {
    httpPort,
    grpcPort,
    config,
    stop() {
      stopping ??= (async () => {
        readiness.readiness.markDraining();
        logger.info("api-gateway shutting down");
        await Promise.all([
          // Connect and gRPC-Web streams on port 8000 end with a status too.
          server.stop(config.SHUTDOWN_GRACE, () => endCalls(rpcEdge)),
          rpcServer.stop(config.SHUTDOWN_GRACE),
        ]);
        readiness.stop();
        await invalidation?.close();
        breakers.shutdown();
        backends.close();
        if (!options.infrastructure) await infrastructure.close();
        logger.info("api-gateway stopped");
      })();
      return stopping;
    },
  };
}

function countCacheLookup(registry: Registry) {
  const lookups = new Counter({
    name: "gateway_response_cache_answers_total",
    help: "Answers of cached routes by how they were served: hit, miss (loaded from the backend) or not_modified (304).",
    labelNames: ["rpc", "result"],
    registers: [registry],
  });
  return (rpc: string, result: string) => lookups.inc({ rpc, result });
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

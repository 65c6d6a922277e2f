/**
 * Everything a service process is built from, wired once: configuration, logger,
 * metrics, readiness, the admin HTTP server, the gRPC server with its pipeline, service
 * identity, the database with its migrations and outbox relay, the event consumers, and
 * the Redis-backed (or in-memory) infrastructure. A service's main.ts creates a runtime,
 * adds its handlers and consumers, and calls start(); stop() is the graceful shutdown of
 * STYLE.md: readiness false, drain calls, stop background work, close pools.
 *
 * Nothing here is module-level: the embedded mode creates four runtimes in one process.
 */
import { hostname } from "node:os";
import type { Pool } from "pg";
import type { DestinationStream } from "pino";
import { Gauge } from "prom-client";
import { type AdminRoute, createAdminServer, createReadiness, type Readiness } from "../admin";
import {
  createAccessTokenVerifier,
  createServiceTokenSigner,
  createServiceTokenVerifier,
  loadServiceKeys,
  type ServiceTokenSigner,
} from "../auth";
import { type Env, parseEnv } from "../config";
import { checkDatabase, createPool, migrate } from "../db";
import {
  createEventConsumer,
  createOutboxRelay,
  EVENTS_MIGRATIONS_DIR,
  EVENTS_MIGRATIONS_NAMESPACE,
  type EventHandler,
  eventStream,
  type OutboxRelay,
  type Subscription,
} from "../events";
import {
  createGrpcClient,
  createGrpcServer,
  type GrpcClient,
  type GrpcClientConstructor,
  type GrpcServer,
  type ServiceDefinitionLike,
} from "../grpc";
import { createLogger, type Logger } from "../logging";
import type { ServiceName } from "../mesh";
import { createMetrics, type Metrics } from "../metrics";
import { loadRuntimeConfig, type RuntimeConfig } from "../runtime-config";
import { createRedisInfrastructure, type Infrastructure } from "./infrastructure";
import { serviceEnvShape, upstreamAddressVariable } from "./service-env";

export type CommonServiceConfig = ReturnType<typeof parseCommonConfig>;

function parseCommonConfig(name: ServiceName, env: Env) {
  return parseEnv(serviceEnvShape(name), env);
}

export interface ServiceRuntimeOptions {
  name: ServiceName;
  /** The process environment, or a per-service overlay of it in the embedded mode. */
  env: Env;
  /** For services that own a database: their `DATABASE_URL` and migration folder. */
  database?: { url: string; migrationsDir: string };
  /** Default: Redis at REDIS_URL. The embedded mode passes in-memory adapters. */
  infrastructure?: Infrastructure;
  /** Extra GET routes of the admin server (user-service's JWKS). */
  adminRoutes?: Readonly<Record<string, AdminRoute>>;
  /** Where log lines go (tests read them back); stdout by default. */
  logDestination?: DestinationStream;
}

export interface ServiceRuntime {
  readonly name: ServiceName;
  readonly config: CommonServiceConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly readiness: Readiness;
  readonly runtimeConfig: RuntimeConfig;
  readonly infrastructure: Infrastructure;
  readonly grpc: GrpcServer;
  readonly signer: ServiceTokenSigner;
  /** Present when the service owns a database. */
  readonly pool: Pool | undefined;
  /** A client of an upstream service at its `<UPSTREAM>_ADDR`, closed by stop(). */
  client<D extends ServiceDefinitionLike>(
    ClientClass: GrpcClientConstructor<D>,
    upstream: ServiceName,
  ): GrpcClient<D>;
  /** Applies events of other services' streams exactly once in effect (the inbox). */
  consume(
    producers: readonly ServiceName[],
    handlers: Readonly<Record<string, EventHandler>>,
  ): void;
  /** Work to undo on stop(), after the servers stopped and before pools close. */
  onStop(cleanup: () => Promise<void> | void): void;
  /** Migrates, starts both servers, the relay and consumers; resolves the bound ports. */
  start(): Promise<{ grpcPort: number; httpPort: number }>;
  /** The graceful shutdown; every call returns the same promise. */
  stop(): Promise<void>;
}

/** A runtime of a service that owns a database. */
export type DatabaseServiceRuntime = ServiceRuntime & { readonly pool: Pool };

export async function createServiceRuntime(
  options: ServiceRuntimeOptions & { database: NonNullable<ServiceRuntimeOptions["database"]> },
): Promise<DatabaseServiceRuntime>;
export async function createServiceRuntime(options: ServiceRuntimeOptions): Promise<ServiceRuntime>;
export async function createServiceRuntime(
  options: ServiceRuntimeOptions,
): Promise<ServiceRuntime> {
  const { name, env } = options;
  const config = parseCommonConfig(name, env);
  const logger = createLogger({
    service: name,
    level: config.LOG_LEVEL,
    ...(options.logDestination ? { destination: options.logDestination } : {}),
  });
  const metrics = createMetrics(name);
  const readiness = createReadiness({ registry: metrics.registry });
  const runtimeConfig = loadRuntimeConfig(name, config.RUNTIME_CONFIG_PATH);
  const keys = await loadServiceKeys({
    privateKeyPath: config.SERVICE_KEY_PATH,
    jwksPath: config.SERVICE_JWKS_PATH,
  });
  const signer = createServiceTokenSigner({ service: name, privateKey: keys.privateKey });
  const infrastructure =
    options.infrastructure ??
    createRedisInfrastructure({
      url: config.REDIS_URL,
      service: name,
      logger,
      keyPrefix: config.REDIS_KEY_PREFIX,
    });
  readiness.addCheck("redis", async () => infrastructure.isUp(), { critical: false });

  const grpc = createGrpcServer({
    service: name,
    logger,
    metrics,
    runtimeConfig,
    accessTokens: createAccessTokenVerifier({
      jwksUrl: config.JWKS_URL,
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
    }),
    serviceTokens: createServiceTokenVerifier({ jwks: keys.jwks }),
    env,
    shutdownGraceMs: config.SHUTDOWN_GRACE,
  });
  const admin = createAdminServer({
    service: name,
    metrics,
    readiness,
    logger,
    ...(options.adminRoutes ? { routes: options.adminRoutes } : {}),
  });

  const pool = options.database
    ? createPool({
        url: options.database.url,
        max: config.DATABASE_POOL_MAX,
        connectTimeoutMs: config.DATABASE_POOL_TIMEOUT,
        applicationName: name,
        logger,
      })
    : undefined;
  let relay: OutboxRelay | undefined;
  if (pool) {
    const database = pool;
    readiness.addCheck("database", () => checkDatabase(database, 1_000), { critical: true });
    relay = createOutboxRelay({ pool, bus: infrastructure.bus, logger });
    const outbox = relay;
    new Gauge({
      name: "outbox_lag_seconds",
      help: "Age of the oldest event not yet published to the bus.",
      registers: [metrics.registry],
      async collect() {
        this.set(await outbox.lagSeconds().catch(() => 0));
      },
    });
  }

  const clients: { close(): void }[] = [];
  const consumers: (() => Subscription)[] = [];
  const subscriptions: Subscription[] = [];
  const cleanups: (() => Promise<void> | void)[] = [];
  let stopping: Promise<void> | undefined;

  const runtime: ServiceRuntime = {
    name,
    config,
    logger,
    metrics,
    readiness,
    runtimeConfig,
    infrastructure,
    grpc,
    signer,
    pool,
    client(ClientClass, upstream) {
      const target = (config as Record<string, unknown>)[upstreamAddressVariable(upstream)];
      if (typeof target !== "string") throw new Error(`${name} has no address for ${upstream}`);
      const client = createGrpcClient(ClientClass, {
        target,
        self: name,
        signer,
        runtimeConfig,
        upstream,
        meshMode: config.MESH_MODE,
        logger,
      });
      clients.push(client as unknown as { close(): void });
      return client;
    },
    consume(producers, handlers) {
      if (!pool) throw new Error(`${name} consumes events but owns no database for its inbox`);
      consumers.push(() =>
        createEventConsumer({
          pool,
          bus: infrastructure.bus,
          service: name,
          consumerName: `${config.INSTANCE_ID}@${hostname()}`,
          streams: producers.map(eventStream),
          handlers,
          logger,
        }),
      );
    },
    onStop(cleanup) {
      cleanups.push(cleanup);
    },
    async start() {
      // The admin server comes first, so probes see "starting" rather than a refused port.
      const httpPort = await admin.start(config.HOST, config.HTTP_PORT);
      if (pool && options.database) {
        await migrate(pool, {
          namespace: EVENTS_MIGRATIONS_NAMESPACE,
          dir: EVENTS_MIGRATIONS_DIR,
          logger,
        });
        await migrate(pool, { namespace: name, dir: options.database.migrationsDir, logger });
      }
      const grpcPort = await grpc.start(config.HOST, config.GRPC_PORT);
      relay?.start();
      for (const start of consumers) subscriptions.push(start());
      readiness.markReady();
      logger.info({ grpcPort, httpPort, meshMode: config.MESH_MODE }, `${name} ready`);
      return { grpcPort, httpPort };
    },
    stop() {
      stopping ??= (async () => {
        readiness.markDraining();
        logger.info(`${name} shutting down`);
        await grpc.shutdown();
        await Promise.all(subscriptions.map((s) => s.close()));
        await relay?.stop();
        for (const cleanup of cleanups.reverse()) await cleanup();
        for (const client of clients) client.close();
        await admin.close();
        await infrastructure.close();
        await pool?.end();
        logger.info(`${name} stopped`);
      })();
      return stopping;
    },
  };
  return runtime;
}

/**
 * The gRPC server every service runs: typed promise-based handlers behind one pipeline
 * (see server-call-pipeline.ts), grpc.health.v1, server reflection, and a graceful
 * shutdown. Everything is per instance, so several servers share a process.
 */
import {
  Server,
  ServerCredentials,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import type { AccessTokenVerifier, ServiceTokenVerifier } from "../auth";
import { Code, ServiceError } from "../errors";
import type { Logger } from "../logging";
import type { ServiceName } from "../mesh";
import type { Metrics } from "../metrics";
import type { RuntimeConfig } from "../runtime-config";
import { type AccessLevel, accessLevelsFromContracts } from "./access-levels";
import { createCallAuthenticator } from "./authenticate-call";
import { type Handlers, type ServiceDefinitionLike, serviceNameOf } from "./definition-types";
import { armedFaults, createFaultInjector } from "./fault-injection";
import { type ActiveCall, serverStreamingCall, unaryCall } from "./server-call-pipeline";
import { createServerHealth, type GrpcHealth } from "./server-health";
import { addLazyReflection } from "./server-reflection";

export interface GrpcServerOptions {
  service: ServiceName;
  logger: Logger;
  metrics: Metrics;
  runtimeConfig: RuntimeConfig;
  accessTokens: AccessTokenVerifier;
  serviceTokens: ServiceTokenVerifier;
  /** The environment read at start-up; only FAULT_* variables are looked at. */
  env: Readonly<Record<string, string | undefined>>;
  /** How long in-flight unary calls may run on after shutdown starts. */
  shutdownGraceMs: number;
  /** Defaults to the levels declared in the contracts. */
  accessLevels?: ReadonlyMap<string, AccessLevel>;
  /** Defaults to Math.random; decides which calls a partial fault hits. */
  random?: () => number;
}

export interface GrpcServer {
  /** Adds a service, e.g. `add(ProductServiceService, handlers)`; only before start. */
  add<D extends ServiceDefinitionLike>(definition: D, handlers: Handlers<D>): void;
  /** Binds `host:port` (0 = any free port) and resolves with the bound port. */
  start(host: string, port: number): Promise<number>;
  /**
   * Health NOT_SERVING, stop accepting calls, let in-flight unary calls finish (server
   * streams are ended at once: they may never finish by themselves), force after the
   * grace period. Every call returns the same promise.
   */
  shutdown(): Promise<void>;
  readonly health: GrpcHealth;
}

export function createGrpcServer(options: GrpcServerOptions): GrpcServer {
  const { service, logger, runtimeConfig } = options;
  if (runtimeConfig.service !== service) {
    throw new Error(`runtime config is for ${runtimeConfig.service}, not ${service}`);
  }
  // Channelz keeps process-wide call statistics nobody here reads.
  const server = new Server({ "grpc.enable_channelz": 0 });
  const health = createServerHealth();
  health.addToServer(server);
  const active = new Set<ActiveCall>();
  const faults = armedFaults({ faults: runtimeConfig.faults, env: options.env });
  const pipeline = {
    service: options.service,
    logger,
    metrics: options.metrics,
    active,
    authenticate: createCallAuthenticator({
      accessLevels: options.accessLevels ?? accessLevelsFromContracts(),
      allowedCallers: runtimeConfig.allowedCallers,
      accessTokens: options.accessTokens,
      serviceTokens: options.serviceTokens,
    }),
    injectFault: createFaultInjector({
      faults: runtimeConfig.faults,
      env: options.env,
      ...(options.random ? { random: options.random } : {}),
    }),
  };
  const services: string[] = [];
  let state: "new" | "started" | "stopping" = "new";
  let stopped: Promise<void> | undefined;

  function add<D extends ServiceDefinitionLike>(definition: D, handlers: Handlers<D>): void {
    if (state !== "new") throw new Error("services must be added before the server starts");
    const name = serviceNameOf(definition);
    if (services.includes(name)) throw new Error(`${name} was added twice`);
    const implementation: UntypedServiceImplementation = {};
    for (const [key, method] of Object.entries(definition)) {
      if (method.requestStream) {
        throw new Error(`${method.path}: client and bidi streaming are not supported`);
      }
      const handler = (handlers as Record<string, never>)[key];
      implementation[key] = method.responseStream
        ? serverStreamingCall(method.path, handler, pipeline)
        : unaryCall(method.path, handler, pipeline);
    }
    server.addService(definition as unknown as ServiceDefinition, implementation);
    services.push(name);
    health.register(name);
  }

  async function start(host: string, port: number): Promise<number> {
    if (state !== "new") throw new Error("the server was already started");
    state = "started";
    addLazyReflection(server, services);
    const address = `${host.includes(":") ? `[${host}]` : host}:${port}`;
    const bound = await new Promise<number>((resolve, reject) =>
      server.bindAsync(address, ServerCredentials.createInsecure(), (error, p) =>
        error ? reject(error) : resolve(p),
      ),
    );
    health.setAll("SERVING");
    logger.info({ host, port: bound, services }, "gRPC server listening");
    if (faults.length > 0) {
      logger.warn({ faults: faults.map((f) => f.name) }, "fault injection is switched on");
    }
    return bound;
  }

  function shutdown(): Promise<void> {
    stopped ??= drain();
    return stopped;
  }

  async function drain(): Promise<void> {
    state = "stopping";
    health.setAll("NOT_SERVING");
    health.closeWatches();
    const goingAway = () => new ServiceError(Code.UNAVAILABLE, "the server is shutting down");
    for (const call of active) if (call.streaming) call.abort(goingAway());
    const forced = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        for (const call of active) call.abort(goingAway());
        // One turn of the event loop lets the aborted calls send UNAVAILABLE, which
        // clients may retry elsewhere, before the connections are cut.
        setImmediate(() => {
          server.forceShutdown();
          resolve(true);
        });
      }, options.shutdownGraceMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    logger.info({ forced }, "gRPC server stopped");
  }

  return { add, start, shutdown, health };
}

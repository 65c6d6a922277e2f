/**
 * A promise-based client for one upstream service, over a ts-proto generated client
 * class. Every call gets a deadline inside the caller's, this process's service token,
 * and the caller's end user, request id, client address and idempotency key.
 */
import {
  type ChannelCredentials,
  type ChannelOptions,
  type Client,
  type ClientOptions,
  type ClientReadableStream,
  type ClientUnaryCall,
  credentials,
  type ServiceError as GrpcServiceError,
  Metadata,
} from "@grpc/grpc-js";
import { SERVICE_TOKEN_METADATA, type ServiceTokenSigner } from "../auth";
import { Code, ServiceError, toServiceError } from "../errors";
import type { Logger } from "../logging";
import type { ServiceName } from "../mesh";
import type { RuntimeConfig } from "../runtime-config";
import {
  AUTHORIZATION_METADATA,
  type CallerContext,
  CLIENT_IP_METADATA,
  IDEMPOTENCY_KEY_METADATA,
  REQUEST_ID_METADATA,
} from "./call-context";
import {
  type IsServerStreaming,
  type IsUnary,
  type RequestOf,
  type ResponseOf,
  type ServiceDefinitionLike,
  serviceNameOf,
} from "./definition-types";
import { retryServiceConfig } from "./retry-service-config";

/** Time left for the caller to receive and relay the answer before its own deadline. */
export const DEADLINE_MARGIN_MS = 50;

export type MeshMode = "local" | "istio";

export interface GrpcClientOptions {
  /** "host:port" of the upstream. */
  target: string;
  /** This process, as named in the service token. */
  self: ServiceName;
  signer: ServiceTokenSigner;
  runtimeConfig: RuntimeConfig;
  upstream: ServiceName;
  /** "local": grpc-js retries from the runtime config; "istio": no client retries. */
  meshMode: MeshMode;
  logger: Logger;
  /** Extra grpc-js channel options (keepalive, message sizes). */
  channelOptions?: ChannelOptions;
}

export interface ClientCallOptions {
  /** The call being served, or the gateway's equivalent: deadline, user and ids flow on. */
  ctx?: CallerContext;
  /** Overrides the configured timeout (still capped by the caller's deadline). */
  timeoutMs?: number;
  /** Overrides ctx.idempotencyKey. */
  idempotencyKey?: string;
  /** Cancels the call, in addition to ctx.signal. */
  signal?: AbortSignal;
}

/** A ts-proto generated client class such as `ProductServiceClient`. */
export interface GrpcClientConstructor<D extends ServiceDefinitionLike> {
  new (address: string, credentials: ChannelCredentials, options?: Partial<ClientOptions>): Client;
  readonly service: D;
}

/** One promise-returning method per unary RPC, an AsyncIterable per server stream. */
export type GrpcClient<D extends ServiceDefinitionLike> = {
  readonly [K in keyof D]: IsUnary<D[K]> extends true
    ? (request: RequestOf<D[K]>, options?: ClientCallOptions) => Promise<ResponseOf<D[K]>>
    : IsServerStreaming<D[K]> extends true
      ? (request: RequestOf<D[K]>, options?: ClientCallOptions) => AsyncIterable<ResponseOf<D[K]>>
      : never;
} & {
  /** Closes the channel; calls in flight fail. */
  close(): void;
};

type Invoke = (
  request: unknown,
  metadata: Metadata,
  options: { deadline: Date },
  callback?: (error: GrpcServiceError | null, response: unknown) => void,
) => ClientUnaryCall | ClientReadableStream<unknown>;

export function createGrpcClient<D extends ServiceDefinitionLike>(
  ClientClass: GrpcClientConstructor<D>,
  options: GrpcClientOptions,
): GrpcClient<D> {
  const { runtimeConfig, upstream, signer } = options;
  if (signer.service !== options.self) {
    throw new Error(`the signer signs for ${signer.service}, not ${options.self}`);
  }
  const definition = ClientClass.service;
  const serviceConfig =
    options.meshMode === "local"
      ? retryServiceConfig(runtimeConfig, upstream, serviceNameOf(definition))
      : undefined;
  const client = new ClientClass(options.target, credentials.createInsecure(), {
    ...options.channelOptions,
    "grpc.enable_channelz": 0,
    // grpc-js shares connections process-wide by default; each service instance keeps
    // its own, so embedded services never see each other's channels.
    "grpc.use_local_subchannel_pool": 1,
    "grpc.enable_retries": options.meshMode === "local" ? 1 : 0,
    // The service config comes from policy, never from DNS TXT records.
    "grpc.service_config_disable_resolution": 1,
    ...(serviceConfig ? { "grpc.service_config": JSON.stringify(serviceConfig) } : {}),
  });
  const logger = options.logger.child({ upstream });
  const upstreamConfig = runtimeConfig.upstreams[upstream];

  async function prepare(method: string, timeoutMs: number, call: ClientCallOptions) {
    const ctx = call.ctx ?? {};
    const signals = [ctx.signal, call.signal].filter((s): s is AbortSignal => s !== undefined);
    if (signals.some((s) => s.aborted)) {
      throw new ServiceError(Code.CANCELLED, `${method} not called: the caller was cancelled`);
    }
    const deadline = callDeadline(Date.now(), call.timeoutMs ?? timeoutMs, ctx.deadline);
    if (!deadline) {
      logger.debug({ rpc: method }, "not calling: the caller's deadline has passed");
      throw new ServiceError(
        Code.DEADLINE_EXCEEDED,
        `${method} not called: the caller's deadline has passed`,
      );
    }
    const metadata = new Metadata();
    metadata.set(SERVICE_TOKEN_METADATA, await signer.token());
    if (ctx.user) metadata.set(AUTHORIZATION_METADATA, `Bearer ${ctx.user.token}`);
    if (ctx.requestId) metadata.set(REQUEST_ID_METADATA, ctx.requestId);
    if (ctx.clientIp) metadata.set(CLIENT_IP_METADATA, ctx.clientIp);
    const idempotencyKey = call.idempotencyKey ?? ctx.idempotencyKey;
    if (idempotencyKey) metadata.set(IDEMPOTENCY_KEY_METADATA, idempotencyKey);
    return { metadata, deadline, signals };
  }

  const methods: Record<string, unknown> = {};
  for (const [key, method] of Object.entries(definition)) {
    if (method.requestStream) continue;
    const rpc = method.path.slice(method.path.lastIndexOf("/") + 1);
    const timeoutMs =
      upstreamConfig?.methods?.[rpc]?.timeoutMs ??
      upstreamConfig?.timeoutMs ??
      runtimeConfig.defaults.timeoutMs;
    // The generated method, not client.makeUnaryRequest: OpenTelemetry's grpc
    // instrumentation wraps the generated ones to add spans and traceparent.
    const invoke = (client as unknown as Record<string, Invoke>)[key]!.bind(client);

    methods[key] = method.responseStream
      ? async function* stream(request: unknown, call: ClientCallOptions = {}) {
          const { metadata, deadline, signals } = await prepare(method.path, timeoutMs, call);
          const readable = invoke(request, metadata, { deadline }) as ClientReadableStream<unknown>;
          const unwire = cancelOnAbort(signals, () => readable.cancel());
          try {
            for await (const message of readable) yield message;
          } catch (error) {
            throw fromGrpcError(error);
          } finally {
            unwire();
            readable.cancel();
          }
        }
      : async (request: unknown, call: ClientCallOptions = {}) => {
          const { metadata, deadline, signals } = await prepare(method.path, timeoutMs, call);
          return new Promise((resolve, reject) => {
            let unwire = () => {};
            const pending = invoke(request, metadata, { deadline }, (error, response) => {
              unwire();
              if (error) reject(fromGrpcError(error));
              else resolve(response);
            });
            unwire = cancelOnAbort(signals, () => pending.cancel());
          });
        };
  }
  return { ...methods, close: () => client.close() } as GrpcClient<D>;
}

/**
 * now + timeout, capped at the caller's deadline minus a safety margin; undefined when
 * the caller's deadline leaves no time to call at all.
 */
export function callDeadline(
  now: number,
  timeoutMs: number,
  callerDeadline?: Date,
): Date | undefined {
  let ms = now + timeoutMs;
  if (callerDeadline) {
    const cap = callerDeadline.getTime() - DEADLINE_MARGIN_MS;
    if (cap <= now) return undefined;
    ms = Math.min(ms, cap);
  }
  return new Date(ms);
}

function cancelOnAbort(signals: readonly AbortSignal[], cancel: () => void): () => void {
  for (const signal of signals) signal.addEventListener("abort", cancel, { once: true });
  return () => {
    for (const signal of signals) signal.removeEventListener("abort", cancel);
  };
}

function fromGrpcError(error: unknown): ServiceError {
  if (error instanceof ServiceError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "number"
    ? ServiceError.fromGrpc(error as GrpcServiceError)
    : toServiceError(error);
}

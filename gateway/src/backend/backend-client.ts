/**
 * Calls one backend with protobuf-es messages over a generic grpc-js client: one
 * HTTP/2 channel per backend, requests encoded with `toBinary` and replies decoded with
 * `fromBinary` from the same descriptors the routes come from, so no generated client
 * is involved and any RPC of the backend's services can be called.
 *
 * grpc-js rather than connect-node's gRPC transport: it is what libs' clients use, so
 * it brings the runtime config's retry policy (MESH_MODE=local), keepalive and
 * reconnect behaviour of every other hop, and OpenTelemetry's grpc instrumentation
 * patches its generic `makeUnaryRequest`/`makeServerStreamRequest`, so traceparent
 * propagates without code here. See the gateway's README for the measurement.
 */
import { type DescService, fromBinary, type Message, toBinary } from "@bufbuild/protobuf";
import {
  type ChannelOptions,
  Client,
  type ClientReadableStream,
  credentials,
  type ServiceError as GrpcStatusError,
  Metadata,
  type MethodConfig,
} from "@grpc/grpc-js";
import { retryServiceConfig } from "@shop/libs/grpc";
import type { ServiceName } from "@shop/libs/mesh";
import type { RuntimeConfig } from "@shop/libs/runtime-config";
import type { RpcTarget } from "../edge/rpc-target";
import { upstreamErrorFromGrpc } from "./upstream-error";

/** Where a backend is and which services it serves. */
export interface BackendSpec {
  /** The upstream's name, as runtime config names it ("product-service"). */
  readonly name: string;
  /** "host:port" */
  readonly target: string;
  readonly services: readonly DescService[];
}

export interface BackendCallOptions {
  readonly metadata: Metadata;
  readonly deadline: Date;
  readonly signal?: AbortSignal;
}

export interface UnaryReply {
  readonly message: Message;
  readonly headers: Metadata;
  readonly trailers: Metadata;
  /** Encoded size of the reply, for bounding what is kept of it. */
  readonly size: number;
}

export interface StreamReply {
  /** The backend's response headers; empty when it failed before sending any. */
  readonly headers: Promise<Metadata>;
  /** The messages; iteration throws an UpstreamError when the call fails. */
  readonly messages: AsyncIterable<Message>;
  cancel(): void;
}

export interface BackendClient {
  readonly name: string;
  readonly services: readonly DescService[];
  /** @throws UpstreamError */
  unary(rpc: RpcTarget, input: Message, options: BackendCallOptions): Promise<UnaryReply>;
  serverStream(rpc: RpcTarget, input: Message, options: BackendCallOptions): StreamReply;
  /** grpc.health.v1 Check of the whole server: true when SERVING. Never throws. */
  isServing(timeoutMs: number): Promise<boolean>;
  close(): void;
}

export interface BackendClientOptions {
  readonly runtimeConfig: RuntimeConfig;
  readonly meshMode: "local" | "istio";
  /** Longest pause between reconnect attempts to a backend that went away. */
  readonly maxReconnectBackoffMs: number;
}

const HEALTH_CHECK = "/grpc.health.v1.Health/Check";

export function createBackendClient(
  spec: BackendSpec,
  options: BackendClientOptions,
): BackendClient {
  const local = options.meshMode === "local";
  const methodConfig: MethodConfig[] = local
    ? spec.services.flatMap(
        (service) =>
          retryServiceConfig(options.runtimeConfig, spec.name as ServiceName, service.typeName)
            ?.methodConfig ?? [],
      )
    : [];
  const channelOptions: ChannelOptions = {
    "grpc.enable_channelz": 0,
    "grpc.enable_retries": local ? 1 : 0,
    "grpc.service_config_disable_resolution": 1,
    "grpc.initial_reconnect_backoff_ms": Math.min(100, options.maxReconnectBackoffMs),
    "grpc.max_reconnect_backoff_ms": options.maxReconnectBackoffMs,
    "grpc.keepalive_time_ms": 30_000,
    ...(methodConfig.length > 0
      ? { "grpc.service_config": JSON.stringify({ loadBalancingConfig: [], methodConfig }) }
      : {}),
  };
  const client = new Client(spec.target, credentials.createInsecure(), channelOptions);
  const serialize = (rpc: RpcTarget) => (message: Message) => {
    const bytes = toBinary(rpc.method.input, message);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };

  return {
    name: spec.name,
    services: spec.services,
    unary(rpc, input, call) {
      return new Promise((resolve, reject) => {
        let size = 0;
        let message: Message | undefined;
        let headers = new Metadata();
        const deserialize = (buffer: Buffer) => {
          size = buffer.length;
          return fromBinary(rpc.method.output, buffer);
        };
        const pending = client.makeUnaryRequest(
          rpc.path,
          serialize(rpc),
          deserialize,
          input,
          call.metadata,
          { deadline: call.deadline },
          (error: GrpcStatusError | null, reply?: Message) => {
            unwire();
            if (error) reject(upstreamErrorFromGrpc(error));
            else message = reply;
          },
        );
        pending.on("metadata", (received: Metadata) => {
          headers = received;
        });
        // The callback runs before the status event; success waits for the trailers.
        pending.on("status", (status) => {
          if (message !== undefined) resolve({ message, headers, trailers: status.metadata, size });
        });
        const unwire = onAbort(call.signal, () => pending.cancel());
      });
    },
    serverStream(rpc, input, call) {
      const stream: ClientReadableStream<Message> = client.makeServerStreamRequest(
        rpc.path,
        serialize(rpc),
        (buffer: Buffer) => fromBinary(rpc.method.output, buffer),
        input,
        call.metadata,
        { deadline: call.deadline },
      );
      const unwire = onAbort(call.signal, () => stream.cancel());
      const headers = new Promise<Metadata>((resolve) => {
        stream.once("metadata", resolve);
        stream.once("status", () => resolve(new Metadata()));
        stream.once("error", () => resolve(new Metadata()));
      });
      async function* messages(): AsyncGenerator<Message> {
        try {
          for await (const message of stream) yield message as Message;
        } catch (error) {
          throw upstreamErrorFromGrpc(error as GrpcStatusError);
        } finally {
          unwire();
          stream.cancel();
        }
      }
      return { headers, messages: messages(), cancel: () => stream.cancel() };
    },
    isServing(timeoutMs) {
      return new Promise((resolve) => {
        client.makeUnaryRequest(
          HEALTH_CHECK,
          (request: Buffer) => request,
          (reply: Buffer) => reply,
          Buffer.alloc(0),
          new Metadata(),
          { deadline: new Date(Date.now() + timeoutMs) },
          // HealthCheckResponse { status = 1 }: SERVING is the varint 1 in field 1.
          (error: GrpcStatusError | null, reply?: Buffer) =>
            resolve(!error && reply !== undefined && reply[0] === 0x08 && reply[1] === 0x01),
        );
      });
    },
    close: () => client.close(),
  };
}

function onAbort(signal: AbortSignal | undefined, cancel: () => void): () => void {
  if (!signal) return () => {};
  if (signal.aborted) {
    cancel();
    return () => {};
  }
  signal.addEventListener("abort", cancel, { once: true });
  return () => signal.removeEventListener("abort", cancel);
}

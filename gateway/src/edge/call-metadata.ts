/**
 * What the gateway tells a backend about a call, as gRPC metadata: its own service
 * token, the user's token as the client sent it, the request id, the client address,
 * the idempotency key, W3C trace context, and whatever the client asked to forward.
 * A client cannot forward a key the mesh gives meaning to (x-service-token,
 * x-client-ip, ...): those come from the gateway alone.
 */
import { Metadata } from "@grpc/grpc-js";
import { SERVICE_TOKEN_METADATA } from "@shop/libs/auth";
import { ServiceError } from "@shop/libs/errors";
import {
  AUTHORIZATION_METADATA,
  CLIENT_IP_METADATA,
  IDEMPOTENCY_KEY_METADATA,
  REQUEST_ID_METADATA,
} from "@shop/libs/grpc";

/** A call as the edge received it, whatever the protocol. */
export interface EdgeRequest {
  /** "rest", "grpc", "grpc-web" or "connect": the label of its metrics. */
  readonly protocol: string;
  readonly requestId: string;
  readonly clientIp: string;
  /** The Authorization header as sent. */
  readonly authorization: string | undefined;
  readonly idempotencyKey: string | undefined;
  readonly traceparent: string | undefined;
  readonly tracestate: string | undefined;
  /** Further metadata to forward (REST: Grpc-Metadata-<name>; gRPC: custom metadata). */
  readonly metadata: readonly (readonly [string, string])[];
  /** The client's own timeout (Grpc-Timeout, Connect-Timeout-Ms), when it set one. */
  readonly timeoutMs: number | undefined;
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
}

/** Keys only the gateway sets, and the transport's own. */
const RESERVED = new Set([
  SERVICE_TOKEN_METADATA,
  CLIENT_IP_METADATA,
  REQUEST_ID_METADATA,
  AUTHORIZATION_METADATA,
  IDEMPOTENCY_KEY_METADATA,
  "traceparent",
  "tracestate",
  "content-type",
  "content-length",
  "te",
  "host",
  "user-agent",
  "connection",
]);

/** Whether a client may forward `key` (lower case) to a backend. */
export function isForwardableKey(key: string): boolean {
  return /^[0-9a-z_.-]+$/.test(key) && !key.startsWith("grpc-") && !RESERVED.has(key);
}

/**
 * The metadata of the backend call. @throws ServiceError INVALID_ARGUMENT when a value
 * the client sent cannot be gRPC metadata (non-ASCII text).
 */
export function callMetadata(request: EdgeRequest, serviceToken: string): Metadata {
  const metadata = new Metadata();
  const add = (key: string, value: string, header = key) => {
    try {
      if (key.endsWith("-bin")) metadata.add(key, Buffer.from(value, "base64"));
      else metadata.add(key, value);
    } catch {
      throw ServiceError.invalidArgument([
        { field: header, description: "must be printable ASCII to be forwarded" },
      ]);
    }
  };
  for (const [key, value] of request.metadata) {
    if (isForwardableKey(key)) add(key, value, `grpc-metadata-${key}`);
  }
  metadata.set(SERVICE_TOKEN_METADATA, serviceToken);
  metadata.set(REQUEST_ID_METADATA, request.requestId);
  metadata.set(CLIENT_IP_METADATA, request.clientIp);
  if (request.authorization !== undefined) add(AUTHORIZATION_METADATA, request.authorization);
  if (request.idempotencyKey !== undefined) {
    add(IDEMPOTENCY_KEY_METADATA, request.idempotencyKey);
  }
  // With the OpenTelemetry SDK running, its grpc instrumentation replaces these with
  // the gateway's own span (a child of the incoming one); without it they pass as sent.
  if (request.traceparent !== undefined) add("traceparent", request.traceparent);
  if (request.tracestate !== undefined) add("tracestate", request.tracestate);
  return metadata;
}

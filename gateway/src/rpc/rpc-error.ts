/**
 * Failures as gRPC, gRPC-Web and Connect clients receive them: a ConnectError with the
 * code, the message edgeFailure allows, every google.rpc detail exactly as the backend
 * sent it (connect-node writes them as grpc-status-details-bin, or as Connect's error
 * JSON `{"code":"invalid_argument","details":[{"type":...,"value":...}]}`), and the
 * headers that explain it (WWW-Authenticate, Retry-After, RateLimit-*) plus the
 * backend's own trailers as metadata.
 */
import { fromBinary, type JsonValue, type Registry, toJson } from "@bufbuild/protobuf";
import { Code as ConnectCode, ConnectError } from "@connectrpc/connect";
import { Code } from "@shop/libs/errors";
import type { Logger } from "@shop/libs/logging";
import { type PackedDetail, UpstreamError } from "../backend/upstream-error";
import { edgeFailure } from "../edge/edge-failure";
import { copyMetadata } from "./rpc-metadata";

export interface RpcErrorContext {
  readonly logger: Logger;
  readonly registry: Registry;
  readonly requestId: string;
  /** The call's signal: aborted with a ConnectError when the deadline passed or at shutdown. */
  readonly signal: AbortSignal;
}

/** A detail as connect-es carries one that arrived on the wire: type name, bytes, JSON. */
interface WireDetail {
  type: string;
  value: Uint8Array;
  debug?: JsonValue;
}

/** The ConnectError a client receives for anything thrown while serving its call. */
export function connectErrorFrom(thrown: unknown, context: RpcErrorContext): ConnectError {
  // connect-node's own (a malformed message, a bad timeout) are already right.
  if (thrown instanceof ConnectError) return thrown;
  const failure = edgeFailure(thrown, context.logger, context.requestId);
  const reason: unknown = context.signal.reason;
  if (failure.code === Code.CANCELLED && reason instanceof ConnectError) {
    // The call's signal cancelled the backend call: the client's deadline passed, or
    // the gateway is shutting down. That, not the cancellation, is what the client sees.
    return new ConnectError(reason.rawMessage, reason.code);
  }
  const metadata = new Headers(failure.headers);
  if (failure.error instanceof UpstreamError) {
    copyMetadata(failure.error.trailers, metadata);
  }
  // gRPC defines codes 1-16; a backend's other numbers reach clients as UNKNOWN.
  const code = failure.code >= 1 && failure.code <= 16 ? failure.code : ConnectCode.Unknown;
  const error = new ConnectError(
    failure.message,
    code as ConnectCode,
    metadata,
    undefined,
    failure.error,
  );
  error.details = failure.details.map((detail) => wireDetail(detail, context.registry));
  return error;
}

function wireDetail(detail: PackedDetail, registry: Registry): WireDetail {
  const type = detail.typeUrl.slice(detail.typeUrl.lastIndexOf("/") + 1);
  const wire: WireDetail = { type, value: detail.value };
  const desc = registry.getMessage(type);
  if (desc) {
    try {
      // Connect's optional human-readable form; the bytes stay authoritative.
      wire.debug = toJson(desc, fromBinary(desc, detail.value), { registry });
    } catch {
      // Undecodable: the bytes alone, as sent.
    }
  }
  return wire;
}

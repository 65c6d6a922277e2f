/**
 * What a client is told about a failed call, whatever the protocol: the gRPC code, a
 * message that never reveals internals, the google.rpc details (a backend's passed
 * through exactly as sent, types the gateway has never heard of included), and the
 * headers that explain the failure (WWW-Authenticate, Retry-After, RateLimit-*). REST
 * renders it as JSON google.rpc.Status, gRPC as grpc-status-details-bin, Connect as
 * its error JSON.
 */
import { Code, type ServiceError, toServiceError } from "@shop/libs/errors";
import type { Logger } from "@shop/libs/logging";
import { type PackedDetail, UpstreamError } from "../backend/upstream-error";
import { DEFAULT_CHALLENGE } from "./access-control";
import { EdgeError } from "./edge-error";

export interface EdgeFailure {
  /** The error as thrown, as a ServiceError. */
  readonly error: ServiceError;
  readonly code: number;
  /** The message to send: "internal error" for the gateway's own server faults. */
  readonly message: string;
  readonly details: readonly PackedDetail[];
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>;
}

/** Codes whose message may reveal internals: logged in full, sent generic. */
const SERVER_FAULTS = new Set<number>([Code.INTERNAL, Code.UNKNOWN, Code.DATA_LOSS]);

/**
 * Transport failures grpc-js reports on the gateway's side (backend down, connection
 * dropped, deadline) carry its own text, with internal addresses and ports: "No
 * connection established. Last error: Error: connect ECONNREFUSED 10.0.3.7:50052".
 */
const TRANSPORT_TEXT =
  /\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?|\[[0-9a-f:]+\](?::\d+)?|ECONN\w+|remote_addr=|Error:/i;
const TRANSPORT_MESSAGES: Readonly<Record<number, string>> = {
  [Code.UNAVAILABLE]: "a backend service is unavailable, retry later",
  [Code.DEADLINE_EXCEEDED]: "the deadline passed before a backend answered",
};

/**
 * The answer to anything thrown while serving a call.
 * @param logger receives the gateway's own server faults, with their cause
 */
export function edgeFailure(thrown: unknown, logger: Logger, requestId?: string): EdgeFailure {
  const error = toServiceError(thrown);
  const upstream = error instanceof UpstreamError;
  let message = error.message;
  if (SERVER_FAULTS.has(error.code) && !upstream) {
    logger.error(
      { err: error.cause ?? error, code: Code[error.code], requestId },
      `request failed: ${error.message}`,
    );
    message = "internal error";
  } else if (TRANSPORT_MESSAGES[error.code] !== undefined && TRANSPORT_TEXT.test(message)) {
    logger.warn({ code: Code[error.code], requestId, detail: message }, "backend call failed");
    message = TRANSPORT_MESSAGES[error.code]!;
  }
  const details: PackedDetail[] = upstream
    ? [...error.details]
    : error.toStatus().details.map((any) => ({ typeUrl: any.typeUrl, value: any.value }));
  const headers: Record<string, string> = { ...(error instanceof EdgeError ? error.headers : {}) };
  if (error.code === Code.UNAUTHENTICATED && headers["www-authenticate"] === undefined) {
    headers["www-authenticate"] = DEFAULT_CHALLENGE;
  }
  if (error.retryAfterMs !== undefined && headers["retry-after"] === undefined) {
    headers["retry-after"] = String(Math.max(1, Math.ceil(error.retryAfterMs / 1000)));
  }
  return { error, code: error.code, message, details, headers };
}

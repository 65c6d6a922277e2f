/**
 * Reads what the edge needs from an HTTP request's headers: the request id (kept when
 * it is short and plain, generated otherwise, and echoed back), the client address
 * (the socket's, or from X-Forwarded-For behind trusted proxies), Grpc-Timeout as the
 * deadline, and the headers forwarded as metadata: Authorization, Idempotency-Key,
 * traceparent/tracestate and every Grpc-Metadata-<name> as <name>.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import { ServiceError } from "@shop/libs/errors";
import type { EdgeRequest } from "../edge/call-metadata";

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const METADATA_PREFIX = "grpc-metadata-";
/** gRPC's timeout syntax: up to 8 digits and a unit. */
const GRPC_TIMEOUT = /^(\d{1,8})([HMSmun])$/;
const UNIT_MS: Record<string, number> = {
  H: 3_600_000,
  M: 60_000,
  S: 1_000,
  m: 1,
  u: 1e-3,
  n: 1e-6,
};

/** A request's id: the client's when it is safe to log, a new UUID otherwise. */
export function requestIdOf(req: IncomingMessage): string {
  const id = header(req, "x-request-id");
  return id !== undefined && REQUEST_ID.test(id) ? id : randomUUID();
}

/**
 * The client's address. With `trustedHops` proxies in front (each appending to
 * X-Forwarded-For), the entry that many hops from the right is the client as the
 * outermost trusted proxy saw it; anything left of it could be forged.
 */
export function clientIpOf(req: IncomingMessage, trustedHops: number): string {
  const socketIp = normalise(req.socket.remoteAddress ?? "");
  if (trustedHops === 0) return socketIp;
  const forwarded = (header(req, "x-forwarded-for") ?? "")
    .split(",")
    .map((part) => normalise(part.trim()))
    .filter((part) => part !== "");
  const candidate = forwarded[forwarded.length - trustedHops];
  return candidate !== undefined && isIP(candidate) !== 0 ? candidate : socketIp;
}

/** "::ffff:127.0.0.1" -> "127.0.0.1": one spelling per client for its rate limit. */
function normalise(ip: string): string {
  return ip.startsWith("::ffff:") && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

/** Grpc-Timeout in milliseconds, undefined when absent. @throws ServiceError 400 when malformed */
export function grpcTimeoutOf(req: IncomingMessage): number | undefined {
  const value = header(req, "grpc-timeout");
  if (value === undefined) return undefined;
  const match = GRPC_TIMEOUT.exec(value);
  if (!match) {
    throw ServiceError.invalidArgument([
      {
        field: "grpc-timeout",
        description: 'expected up to 8 digits and a unit of H, M, S, m, u or n, like "5S"',
      },
    ]);
  }
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

export function edgeRequestFromHttp(
  req: IncomingMessage,
  options: { requestId: string; trustedHops: number; signal: AbortSignal },
): EdgeRequest {
  const metadata: [string, string][] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    if (name.startsWith(METADATA_PREFIX) && name.length > METADATA_PREFIX.length) {
      metadata.push([name.slice(METADATA_PREFIX.length), req.rawHeaders[i + 1]!]);
    }
  }
  return {
    protocol: "rest",
    requestId: options.requestId,
    clientIp: clientIpOf(req, options.trustedHops),
    authorization: header(req, "authorization"),
    idempotencyKey: header(req, "idempotency-key"),
    traceparent: header(req, "traceparent"),
    tracestate: header(req, "tracestate"),
    metadata,
    timeoutMs: grpcTimeoutOf(req),
    signal: options.signal,
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text === "" ? undefined : text;
}

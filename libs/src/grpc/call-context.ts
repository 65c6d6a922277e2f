/**
 * What a handler knows about the call it serves, built from the incoming metadata by
 * the server pipeline before the handler runs.
 */
import { randomUUID } from "node:crypto";
import { isIP } from "node:net";
import type { Metadata } from "@grpc/grpc-js";
import type { UserIdentity } from "../auth";
import { Code, ServiceError } from "../errors";
import type { Logger } from "../logging";
import type { ServiceName } from "../mesh";

/** Metadata keys the mesh propagates from call to call. */
export const REQUEST_ID_METADATA = "x-request-id";
export const CLIENT_IP_METADATA = "x-client-ip";
export const IDEMPOTENCY_KEY_METADATA = "idempotency-key";
export const AUTHORIZATION_METADATA = "authorization";

export interface CallContext {
  /** The full method path, "/shop.product.v1.ProductService/ReserveStock". */
  readonly method: string;
  /** From x-request-id, or generated here when absent or malformed. */
  readonly requestId: string;
  /** The end user, from a verified access token. */
  readonly user?: UserIdentity;
  /** The calling service, from a verified service token. */
  readonly caller?: ServiceName;
  /** The end user's address; only trusted (and set) when the caller is api-gateway. */
  readonly clientIp?: string;
  readonly idempotencyKey?: string;
  /** The caller's deadline; undefined when the caller set none. */
  readonly deadline: Date | undefined;
  /** Aborted when the client cancels, the deadline passes or the server is forced down. */
  readonly signal: AbortSignal;
  /** The raw incoming metadata (it carries tokens: never log it). */
  readonly metadata: Metadata;
  /** A child logger with the rpc and requestId fields. */
  readonly logger: Logger;
}

/** The context a client call inherits from: a CallContext or the gateway's equivalent. */
export type CallerContext = Partial<
  Pick<CallContext, "requestId" | "user" | "clientIp" | "idempotencyKey" | "deadline" | "signal">
>;

/** The first string value of a metadata key. */
export function metadataString(metadata: Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  return typeof value === "string" && value !== "" ? value : undefined;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A caller's request id is kept only when it is short and plain, so it is safe to log. */
export function requestIdFrom(metadata: Metadata): string {
  const id = metadataString(metadata, REQUEST_ID_METADATA);
  return id !== undefined && REQUEST_ID.test(id) ? id : randomUUID();
}

/** idempotency-key, at most 255 printable characters. */
export function idempotencyKeyFrom(metadata: Metadata): string | undefined {
  const key = metadataString(metadata, IDEMPOTENCY_KEY_METADATA);
  if (key === undefined) return undefined;
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw new ServiceError(
      Code.INVALID_ARGUMENT,
      "idempotency-key must be 1-255 printable ASCII characters",
      {
        fieldViolations: [
          { field: "idempotency-key", description: "1-255 printable ASCII characters" },
        ],
      },
    );
  }
  return key;
}

/** x-client-ip, honoured only from api-gateway: anyone else could claim any address. */
export function clientIpFrom(
  metadata: Metadata,
  caller: ServiceName | undefined,
): string | undefined {
  if (caller !== "api-gateway") return undefined;
  const ip = metadataString(metadata, CLIENT_IP_METADATA);
  return ip !== undefined && isIP(ip) !== 0 ? ip : undefined;
}

/** grpc-js reports "no deadline" as Infinity. */
export function deadlineFrom(deadline: Date | number): Date | undefined {
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(ms) ? new Date(ms) : undefined;
}

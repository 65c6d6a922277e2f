/**
 * Every error leaves the gateway as JSON google.rpc.Status,
 * `{"code":5,"message":"...","details":[...]}`, with the HTTP status of grpc-gateway's
 * table (libs' httpStatusFromCode; unknown codes are 500). Details pass through as the
 * backend sent them, rendered as proto3 JSON `Any` when their type is known. Server
 * faults are logged with the request id and reach the client as "internal error".
 */
import {
  fromBinary,
  type JsonObject,
  type JsonValue,
  type Registry,
  toJson,
} from "@bufbuild/protobuf";
import { Code, httpStatusFromCode, type ServiceError, toServiceError } from "@shop/libs/errors";
import type { Logger } from "@shop/libs/logging";
import type { PackedDetail } from "../backend/upstream-error";
import { UpstreamError } from "../backend/upstream-error";
import { DEFAULT_CHALLENGE } from "../edge/access-control";
import { EdgeError } from "../edge/edge-error";

export interface ErrorResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: JsonObject;
}

/** Codes whose message may reveal internals: logged in full, sent generic. */
const SERVER_FAULTS = new Set<number>([Code.INTERNAL, Code.UNKNOWN, Code.DATA_LOSS]);

/**
 * The HTTP answer for anything thrown while serving a request.
 * @param logger receives server faults, with their cause
 */
export function errorResponse(
  thrown: unknown,
  registry: Registry,
  logger: Logger,
  requestId?: string,
): ErrorResponse {
  const error = toServiceError(thrown);
  const upstream = error instanceof UpstreamError;
  let message = error.message;
  if (SERVER_FAULTS.has(error.code) && !upstream) {
    logger.error(
      { err: error.cause ?? error, code: Code[error.code], requestId },
      `request failed: ${error.message}`,
    );
    message = "internal error";
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
  const status =
    error instanceof EdgeError && error.httpStatus !== undefined
      ? error.httpStatus
      : httpStatusFromCode(error.code);
  return {
    status,
    headers,
    body: {
      code: error.code,
      message,
      details: details.map((detail) => detailToJson(detail, registry)),
    },
  };
}

/** A detail as proto3 JSON Any: `{"@type": ..., ...fields}`, or its bytes when unknown. */
export function detailToJson(detail: PackedDetail, registry: Registry): JsonValue {
  const typeName = detail.typeUrl.slice(detail.typeUrl.lastIndexOf("/") + 1);
  const desc = registry.getMessage(typeName);
  if (desc) {
    try {
      const json = toJson(desc, fromBinary(desc, detail.value), {
        registry,
        alwaysEmitImplicit: true,
      });
      if (json !== null && typeof json === "object" && !Array.isArray(json)) {
        return { "@type": detail.typeUrl, ...json };
      }
      return { "@type": detail.typeUrl, value: json };
    } catch {
      // An undecodable detail is passed on as bytes, below.
    }
  }
  return { "@type": detail.typeUrl, value: Buffer.from(detail.value).toString("base64") };
}

/** An edge error for an HTTP condition with no gRPC code of its own (404, 405, 413). */
export function httpError(
  status: number,
  code: Code,
  message: string,
  headers: Record<string, string> = {},
): ServiceError {
  return new EdgeError(code, message, { httpStatus: status, headers });
}

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
import { type Code, httpStatusFromCode, type ServiceError } from "@shop/libs/errors";
import type { Logger } from "@shop/libs/logging";
import type { PackedDetail } from "../backend/upstream-error";
import { EdgeError } from "../edge/edge-error";
import { edgeFailure } from "../edge/edge-failure";

export interface ErrorResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: JsonObject;
}

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
  const failure = edgeFailure(thrown, logger, requestId);
  const { error } = failure;
  const status =
    error instanceof EdgeError && error.httpStatus !== undefined
      ? error.httpStatus
      : httpStatusFromCode(error.code);
  return {
    status,
    headers: { ...failure.headers },
    body: {
      code: failure.code,
      message: failure.message,
      details: failure.details.map((detail) => detailToJson(detail, registry)),
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

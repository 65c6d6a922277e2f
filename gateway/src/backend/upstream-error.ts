/**
 * An error status from a backend, kept whole: libs' ServiceError carries the code, the
 * message and the details it knows, and this adds every google.rpc detail exactly as
 * the backend sent it (types the gateway has never heard of included) and the
 * trailers, so the gateway passes them through rather than re-creating them.
 */
import { fromBinary } from "@bufbuild/protobuf";
import type { ServiceError as GrpcStatusError, Metadata } from "@grpc/grpc-js";
import { StatusSchema } from "@shop/gen/es/google/rpc/status_pb";
import { ServiceError } from "@shop/libs/errors";

/** A google.protobuf.Any as it travels: a type URL and the encoded message. */
export interface PackedDetail {
  readonly typeUrl: string;
  readonly value: Uint8Array;
}

const DETAILS_KEY = "grpc-status-details-bin";

export class UpstreamError extends ServiceError {
  constructor(
    base: ServiceError,
    /** The details of the backend's google.rpc.Status, undecoded. */
    readonly details: readonly PackedDetail[],
    /** The backend's trailers (its response metadata for a failed call). */
    readonly trailers: Metadata | undefined,
    retryAfterMs = base.retryAfterMs,
  ) {
    super(base.code, base.message, {
      cause: base.cause,
      fieldViolations: base.fieldViolations,
      preconditionViolations: base.preconditionViolations,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      ...(base.reason !== undefined ? { reason: base.reason } : {}),
      reasonMetadata: base.reasonMetadata,
    });
    this.name = "UpstreamError";
  }
}

/** The status grpc-js reported for a failed call, as an UpstreamError. */
export function upstreamErrorFromGrpc(error: GrpcStatusError): UpstreamError {
  const base = ServiceError.fromGrpc(error);
  let details: PackedDetail[] = [];
  const raw = error.metadata?.get(DETAILS_KEY)[0];
  if (raw instanceof Buffer) {
    try {
      details = fromBinary(StatusSchema, raw).details.map((any) => ({
        typeUrl: any.typeUrl,
        value: any.value,
      }));
    } catch {
      // Undecodable details are dropped; the code and message still stand.
    }
  }
  // libs' servers also send the delay as plain metadata.
  const header = Number(error.metadata?.get("retry-after-ms")[0] ?? Number.NaN);
  const retryAfterMs = Number.isFinite(header) && header >= 0 ? header : base.retryAfterMs;
  return new UpstreamError(base, details, error.metadata, retryAfterMs);
}

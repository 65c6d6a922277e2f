import { Metadata, status } from "@grpc/grpc-js";
import type { Any } from "@shop/gen/ts/google/protobuf/any";
import {
  BadRequest,
  ErrorInfo,
  PreconditionFailure,
  RetryInfo,
} from "@shop/gen/ts/google/rpc/error_details";
import { Status } from "@shop/gen/ts/google/rpc/status";

/** gRPC status codes; `Code.NOT_FOUND` etc. */
export const Code = status;
export type Code = status;

export interface FieldViolation {
  /** The field's path in the request, e.g. `items[2].quantity`. */
  field: string;
  description: string;
}

export interface PreconditionViolation {
  /** What kind of precondition, e.g. "STOCK". */
  type: string;
  /** What it is about, e.g. a product id. */
  subject: string;
  description: string;
}

export interface ServiceErrorOptions {
  cause?: unknown;
  /** For INVALID_ARGUMENT: google.rpc.BadRequest field violations. */
  fieldViolations?: readonly FieldViolation[];
  /** For FAILED_PRECONDITION: google.rpc.PreconditionFailure violations. */
  preconditionViolations?: readonly PreconditionViolation[];
  /** google.rpc.RetryInfo: when the client may try again. */
  retryAfterMs?: number;
  /** google.rpc.ErrorInfo: a machine-readable reason in UPPER_SNAKE_CASE. */
  reason?: string;
  reasonMetadata?: Record<string, string>;
}

const DETAILS_KEY = "grpc-status-details-bin";
const ERROR_DOMAIN = "shop.example";
const typeUrl = (name: string) => `type.googleapis.com/${name}`;
const pack = (name: string, value: Uint8Array): Any => ({
  typeUrl: typeUrl(name),
  value: Buffer.from(value),
});

/**
 * The one error type at every process boundary. Domain code throws it with a gRPC code
 * and, for bad input, field violations; the server pipeline sends it as a gRPC status
 * with google.rpc details in `grpc-status-details-bin`, and clients turn a received
 * status back into it with `ServiceError.fromGrpc`.
 */
export class ServiceError extends Error {
  readonly code: Code;
  readonly fieldViolations: readonly FieldViolation[];
  readonly preconditionViolations: readonly PreconditionViolation[];
  readonly retryAfterMs: number | undefined;
  readonly reason: string | undefined;
  readonly reasonMetadata: Readonly<Record<string, string>>;

  constructor(code: Code, message: string, options: ServiceErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = "ServiceError";
    this.code = code;
    this.fieldViolations = options.fieldViolations ?? [];
    this.preconditionViolations = options.preconditionViolations ?? [];
    this.retryAfterMs = options.retryAfterMs;
    this.reason = options.reason;
    this.reasonMetadata = options.reasonMetadata ?? {};
  }

  /** INVALID_ARGUMENT naming each bad field. */
  static invalidArgument(violations: readonly FieldViolation[]): ServiceError {
    const summary = violations.map((v) => `${v.field}: ${v.description}`).join("; ");
    return new ServiceError(Code.INVALID_ARGUMENT, `invalid request: ${summary}`, {
      fieldViolations: violations,
    });
  }

  static notFound(message: string): ServiceError {
    return new ServiceError(Code.NOT_FOUND, message);
  }

  static failedPrecondition(
    message: string,
    violations: readonly PreconditionViolation[] = [],
  ): ServiceError {
    return new ServiceError(Code.FAILED_PRECONDITION, message, {
      preconditionViolations: violations,
    });
  }

  /** The status a gRPC server sends: code, message, and the details in metadata. */
  toGrpcStatus(): { code: Code; details: string; metadata: Metadata } {
    const metadata = new Metadata();
    const details = this.detailsAsAny();
    if (details.length > 0) {
      const encoded = Status.encode({ code: this.code, message: this.message, details }).finish();
      metadata.set(DETAILS_KEY, Buffer.from(encoded));
    }
    if (this.retryAfterMs !== undefined) {
      metadata.set("retry-after-ms", String(Math.ceil(this.retryAfterMs)));
    }
    return { code: this.code, details: this.message, metadata };
  }

  /** google.rpc.Status for this error, as the gateway renders it in JSON. */
  toStatus(): Status {
    return { code: this.code, message: this.message, details: this.detailsAsAny() };
  }

  /**
   * Rebuilds a ServiceError from what a grpc-js client received (code, details and
   * `grpc-status-details-bin`), so errors keep their code and details across hops.
   */
  static fromGrpc(error: { code?: number; details?: string; metadata?: Metadata }): ServiceError {
    const code = (error.code ?? Code.UNKNOWN) as Code;
    const options: ServiceErrorOptions = { cause: error };
    const raw = error.metadata?.get(DETAILS_KEY)[0];
    if (raw instanceof Buffer) {
      try {
        Object.assign(options, optionsFromDetails(Status.decode(raw).details));
      } catch {
        // Undecodable details are dropped; the code and message still stand.
      }
    }
    return new ServiceError(code, error.details || Code[code] || "error", options);
  }

  private detailsAsAny(): Any[] {
    const details: Any[] = [];
    if (this.fieldViolations.length > 0) {
      details.push(
        pack(
          "google.rpc.BadRequest",
          BadRequest.encode(
            BadRequest.fromPartial({ fieldViolations: [...this.fieldViolations] }),
          ).finish(),
        ),
      );
    }
    if (this.preconditionViolations.length > 0) {
      details.push(
        pack(
          "google.rpc.PreconditionFailure",
          PreconditionFailure.encode(
            PreconditionFailure.fromPartial({ violations: [...this.preconditionViolations] }),
          ).finish(),
        ),
      );
    }
    if (this.retryAfterMs !== undefined) {
      const ms = Math.max(0, Math.ceil(this.retryAfterMs));
      details.push(
        pack(
          "google.rpc.RetryInfo",
          RetryInfo.encode({
            retryDelay: { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 },
          }).finish(),
        ),
      );
    }
    if (this.reason !== undefined) {
      details.push(
        pack(
          "google.rpc.ErrorInfo",
          ErrorInfo.encode({
            reason: this.reason,
            domain: ERROR_DOMAIN,
            metadata: { ...this.reasonMetadata },
          }).finish(),
        ),
      );
    }
    return details;
  }
}

function optionsFromDetails(details: readonly Any[]): ServiceErrorOptions {
  const options: ServiceErrorOptions = {};
  for (const any of details) {
    switch (any.typeUrl) {
      case typeUrl("google.rpc.BadRequest"):
        options.fieldViolations = BadRequest.decode(any.value).fieldViolations.map((v) => ({
          field: v.field,
          description: v.description,
        }));
        break;
      case typeUrl("google.rpc.PreconditionFailure"):
        options.preconditionViolations = PreconditionFailure.decode(any.value).violations.map(
          (v) => ({ type: v.type, subject: v.subject, description: v.description }),
        );
        break;
      case typeUrl("google.rpc.RetryInfo"): {
        const delay = RetryInfo.decode(any.value).retryDelay;
        if (delay) options.retryAfterMs = Number(delay.seconds) * 1000 + delay.nanos / 1_000_000;
        break;
      }
      case typeUrl("google.rpc.ErrorInfo"): {
        const info = ErrorInfo.decode(any.value);
        options.reason = info.reason;
        options.reasonMetadata = info.metadata;
        break;
      }
    }
  }
  return options;
}

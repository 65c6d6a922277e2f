/**
 * Turns anything caught into a ServiceError with the right code. Failures of
 * PostgreSQL (by SQLSTATE), Redis and the network map to codes a caller can act on;
 * anything unexpected becomes INTERNAL with a generic message, the original kept as
 * `cause` for the log line and never sent to the client.
 */
import { types } from "node:util";
import { Code, ServiceError } from "./service-error";

/** SQLSTATE classes and codes, https://www.postgresql.org/docs/current/errcodes-appendix.html */
function fromPostgres(code: string, error: Error): ServiceError | undefined {
  const detail = (message: string) => new ServiceError(codeFor(code), message, { cause: error });
  switch (code) {
    case "23505":
      return detail("already exists");
    case "23503":
      return detail("a referenced record does not exist");
    case "23502":
    case "23514":
    case "22001":
    case "22003":
    case "22P02":
    case "22007":
    case "22008":
      return detail("a value is out of range or malformed");
    case "40001":
    case "40P01":
      return detail("concurrent update conflict, retry");
    case "55P03":
      return detail("the record is locked, retry");
    case "57014":
      return detail("the database query was cancelled");
    case "53300":
    case "57P01":
    case "57P02":
    case "57P03":
      return detail("the database is unavailable");
  }
  if (code.startsWith("08")) return detail("the database is unavailable");
  return undefined;
}

function codeFor(sqlState: string): Code {
  if (sqlState === "23505") return Code.ALREADY_EXISTS;
  if (sqlState === "23503") return Code.FAILED_PRECONDITION;
  if (sqlState.startsWith("22") || sqlState === "23502" || sqlState === "23514") {
    return Code.INVALID_ARGUMENT;
  }
  if (sqlState === "40001" || sqlState === "40P01" || sqlState === "55P03") return Code.ABORTED;
  if (sqlState === "57014") return Code.DEADLINE_EXCEEDED;
  return Code.UNAVAILABLE;
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
]);

const UNAVAILABLE_MESSAGES = [
  /connection terminated/i,
  /connection is closed/i,
  /timeout exceeded when trying to connect/i,
  /reached the max retries per request/i,
  /stream isn't writeable/i,
  /the database system is (starting up|shutting down)/i,
];

/** Any thrown value as a ServiceError. */
export function toServiceError(error: unknown): ServiceError {
  if (error instanceof ServiceError) return error;
  // isNativeError also recognises errors from another realm (node's own socket errors
  // under jest's module sandbox fail `instanceof Error`).
  if (!(error instanceof Error) && !types.isNativeError(error)) {
    return new ServiceError(Code.INTERNAL, "internal error", { cause: error });
  }
  const code = (error as { code?: unknown }).code;
  // A grpc-js status error from a downstream call keeps its code and details.
  if (typeof code === "number" && "metadata" in error && "details" in error) {
    return ServiceError.fromGrpc(error as never);
  }
  if (typeof code === "string") {
    if (/^[0-9A-Z]{5}$/.test(code)) {
      const mapped = fromPostgres(code, error);
      if (mapped) return mapped;
    }
    if (NETWORK_CODES.has(code)) {
      return new ServiceError(Code.UNAVAILABLE, "a dependency is unavailable", { cause: error });
    }
  }
  if (
    error.name === "MaxRetriesPerRequestError" ||
    UNAVAILABLE_MESSAGES.some((re) => re.test(error.message))
  ) {
    return new ServiceError(Code.UNAVAILABLE, "a dependency is unavailable", { cause: error });
  }
  if (error.name === "AbortError") {
    return new ServiceError(Code.CANCELLED, "the call was cancelled", { cause: error });
  }
  return new ServiceError(Code.INTERNAL, "internal error", { cause: error });
}

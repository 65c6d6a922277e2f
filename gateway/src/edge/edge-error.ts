/**
 * An error the edge itself raises: a ServiceError (so it has a gRPC code and maps to
 * HTTP like any other) with the response headers that explain it (WWW-Authenticate,
 * Retry-After, RateLimit-*), and, for HTTP conditions gRPC has no code for (404 route,
 * 405, 413), the HTTP status to use instead of the code's.
 */
import { type Code, ServiceError, type ServiceErrorOptions } from "@shop/libs/errors";

export interface EdgeErrorOptions extends ServiceErrorOptions {
  /** Lower-case header names. */
  headers?: Readonly<Record<string, string>>;
  httpStatus?: number;
}

export class EdgeError extends ServiceError {
  readonly headers: Readonly<Record<string, string>>;
  readonly httpStatus: number | undefined;

  constructor(code: Code, message: string, options: EdgeErrorOptions = {}) {
    const { headers, httpStatus, ...rest } = options;
    super(code, message, rest);
    this.name = "EdgeError";
    this.headers = headers ?? {};
    this.httpStatus = httpStatus;
  }
}

import { Code } from "./service-error";

/**
 * The HTTP status for a gRPC code: grpc-gateway's table (runtime/errors.go
 * HTTPStatusFromCode), the one place the mapping lives.
 */
export function httpStatusFromCode(code: Code): number {
  switch (code) {
    case Code.OK:
      return 200;
    case Code.CANCELLED:
      return 499;
    case Code.UNKNOWN:
      return 500;
    case Code.INVALID_ARGUMENT:
      return 400;
    case Code.DEADLINE_EXCEEDED:
      return 504;
    case Code.NOT_FOUND:
      return 404;
    case Code.ALREADY_EXISTS:
      return 409;
    case Code.PERMISSION_DENIED:
      return 403;
    case Code.UNAUTHENTICATED:
      return 401;
    case Code.RESOURCE_EXHAUSTED:
      return 429;
    case Code.FAILED_PRECONDITION:
      // grpc-gateway maps this to 400, not 412: clients treat it as a bad request.
      return 400;
    case Code.ABORTED:
      return 409;
    case Code.OUT_OF_RANGE:
      return 400;
    case Code.UNIMPLEMENTED:
      return 501;
    case Code.INTERNAL:
      return 500;
    case Code.UNAVAILABLE:
      return 503;
    case Code.DATA_LOSS:
      return 500;
    default:
      return 500;
  }
}

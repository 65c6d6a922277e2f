import { httpStatusFromCode } from "./http-status";
import { Code } from "./service-error";

describe("httpStatusFromCode (grpc-gateway's table)", () => {
  it.each([
    [Code.OK, 200],
    [Code.CANCELLED, 499],
    [Code.UNKNOWN, 500],
    [Code.INVALID_ARGUMENT, 400],
    [Code.DEADLINE_EXCEEDED, 504],
    [Code.NOT_FOUND, 404],
    [Code.ALREADY_EXISTS, 409],
    [Code.PERMISSION_DENIED, 403],
    [Code.UNAUTHENTICATED, 401],
    [Code.RESOURCE_EXHAUSTED, 429],
    [Code.FAILED_PRECONDITION, 400],
    [Code.ABORTED, 409],
    [Code.OUT_OF_RANGE, 400],
    [Code.UNIMPLEMENTED, 501],
    [Code.INTERNAL, 500],
    [Code.UNAVAILABLE, 503],
    [Code.DATA_LOSS, 500],
    [99 as Code, 500],
  ])("code %s -> HTTP %s", (code, status) => expect(httpStatusFromCode(code)).toBe(status));
});

import { Metadata } from "@grpc/grpc-js";
import { toServiceError } from "./map-error";
import { Code, ServiceError } from "./service-error";

const pgError = (code: string, message = "db error") => Object.assign(new Error(message), { code });

describe("toServiceError", () => {
  it("passes a ServiceError through unchanged", () => {
    const error = ServiceError.notFound("x");
    expect(toServiceError(error)).toBe(error);
  });

  it.each([
    ["23505", Code.ALREADY_EXISTS],
    ["23503", Code.FAILED_PRECONDITION],
    ["23514", Code.INVALID_ARGUMENT],
    ["22P02", Code.INVALID_ARGUMENT],
    ["40001", Code.ABORTED],
    ["40P01", Code.ABORTED],
    ["55P03", Code.ABORTED],
    ["57014", Code.DEADLINE_EXCEEDED],
    ["57P01", Code.UNAVAILABLE],
    ["53300", Code.UNAVAILABLE],
    ["08006", Code.UNAVAILABLE],
  ])("maps SQLSTATE %s to %s", (sqlState, code) => {
    const mapped = toServiceError(
      pgError(sqlState, 'duplicate key value violates "users_email_key"'),
    );
    expect(mapped.code).toBe(code);
    // The database's own words (table and constraint names) never reach the client.
    expect(mapped.message).not.toMatch(/users_email_key/);
    expect(mapped.cause).toBeInstanceOf(Error);
  });

  it("maps an unknown SQLSTATE to INTERNAL", () => {
    expect(toServiceError(pgError("XX000")).code).toBe(Code.INTERNAL);
  });

  it.each(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE"])(
    "maps network failure %s to UNAVAILABLE",
    (code) => {
      expect(toServiceError(pgError(code, `connect ${code} 127.0.0.1:5432`)).code).toBe(
        Code.UNAVAILABLE,
      );
    },
  );

  it("maps lost connections of pg and ioredis to UNAVAILABLE", () => {
    expect(toServiceError(new Error("Connection terminated unexpectedly")).code).toBe(
      Code.UNAVAILABLE,
    );
    expect(toServiceError(new Error("Connection is closed.")).code).toBe(Code.UNAVAILABLE);
    const maxRetries = Object.assign(new Error("Reached the max retries per request limit"), {
      name: "MaxRetriesPerRequestError",
    });
    expect(toServiceError(maxRetries).code).toBe(Code.UNAVAILABLE);
  });

  it("keeps a downstream gRPC status with its details", () => {
    const downstream = ServiceError.invalidArgument([
      { field: "quantity", description: "too big" },
    ]);
    const { code, details, metadata } = downstream.toGrpcStatus();
    const grpcError = Object.assign(new Error(`${code} ${details}`), { code, details, metadata });
    const mapped = toServiceError(grpcError);
    expect(mapped.code).toBe(Code.INVALID_ARGUMENT);
    expect(mapped.fieldViolations).toEqual([{ field: "quantity", description: "too big" }]);
    expect(metadata).toBeInstanceOf(Metadata);
  });

  it("maps aborts to CANCELLED", () => {
    const abort = Object.assign(new Error("The operation was aborted"), { name: "AbortError" });
    expect(toServiceError(abort).code).toBe(Code.CANCELLED);
  });

  it("hides anything unexpected behind INTERNAL, keeping it as the cause", () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'id')");
    const mapped = toServiceError(bug);
    expect(mapped.code).toBe(Code.INTERNAL);
    expect(mapped.message).toBe("internal error");
    expect(mapped.cause).toBe(bug);
    expect(toServiceError("a string").code).toBe(Code.INTERNAL);
  });
});

import { Metadata } from "@grpc/grpc-js";
import { BadRequest } from "@shop/gen/ts/google/rpc/error_details";
import { Status } from "@shop/gen/ts/google/rpc/status";
import { Code, ServiceError } from "./service-error";

/** What a grpc-js client receives for a status the server sent. */
function roundTrip(error: ServiceError): ServiceError {
  const { code, details, metadata } = error.toGrpcStatus();
  const received = new Metadata();
  for (const [key, values] of Object.entries(metadata.getMap())) received.set(key, values as never);
  return ServiceError.fromGrpc({ code, details, metadata: received });
}

describe("ServiceError", () => {
  it("names each bad field in INVALID_ARGUMENT and carries BadRequest details", () => {
    const error = ServiceError.invalidArgument([
      { field: "email", description: "must be a valid address" },
      { field: "items[1].quantity", description: "must be 1-1000" },
    ]);
    expect(error.code).toBe(Code.INVALID_ARGUMENT);
    expect(error.message).toBe(
      "invalid request: email: must be a valid address; items[1].quantity: must be 1-1000",
    );

    const bin = error.toGrpcStatus().metadata.get("grpc-status-details-bin")[0] as Buffer;
    const status = Status.decode(bin);
    expect(status.code).toBe(Code.INVALID_ARGUMENT);
    expect(status.details[0]?.typeUrl).toBe("type.googleapis.com/google.rpc.BadRequest");
    expect(BadRequest.decode(status.details[0]!.value).fieldViolations).toMatchObject([
      { field: "email", description: "must be a valid address" },
      { field: "items[1].quantity", description: "must be 1-1000" },
    ]);
  });

  it("round-trips code, message and every detail kind through gRPC metadata", () => {
    const original = new ServiceError(Code.RESOURCE_EXHAUSTED, "too many attempts", {
      fieldViolations: [{ field: "email", description: "throttled" }],
      preconditionViolations: [{ type: "STOCK", subject: "p1", description: "only 2 left" }],
      retryAfterMs: 1500,
      reason: "LOGIN_THROTTLED",
      reasonMetadata: { scope: "account" },
    });
    const received = roundTrip(original);
    expect(received).toBeInstanceOf(ServiceError);
    expect(received.code).toBe(Code.RESOURCE_EXHAUSTED);
    expect(received.message).toBe("too many attempts");
    expect(received.fieldViolations).toEqual(original.fieldViolations);
    expect(received.preconditionViolations).toEqual(original.preconditionViolations);
    expect(received.retryAfterMs).toBe(1500);
    expect(received.reason).toBe("LOGIN_THROTTLED");
    expect(received.reasonMetadata).toEqual({ scope: "account" });
  });

  it("sends no details metadata when there are none", () => {
    const { metadata, details } = ServiceError.notFound("order o1 not found").toGrpcStatus();
    expect(details).toBe("order o1 not found");
    expect(metadata.get("grpc-status-details-bin")).toEqual([]);
  });

  it("keeps code and message when the details cannot be decoded", () => {
    const metadata = new Metadata();
    metadata.set("grpc-status-details-bin", Buffer.from([0xff, 0xff, 0xff]));
    const error = ServiceError.fromGrpc({ code: Code.ABORTED, details: "conflict", metadata });
    expect(error.code).toBe(Code.ABORTED);
    expect(error.message).toBe("conflict");
    expect(error.fieldViolations).toEqual([]);
  });

  it("falls back to the code's name when a status has no message", () => {
    expect(ServiceError.fromGrpc({ code: Code.UNAVAILABLE }).message).toBe("UNAVAILABLE");
    expect(ServiceError.fromGrpc({}).code).toBe(Code.UNKNOWN);
  });

  it("renders google.rpc.Status for JSON error bodies", () => {
    const status = ServiceError.failedPrecondition("not enough stock", [
      { type: "STOCK", subject: "p1", description: "requested 5, available 2" },
    ]).toStatus();
    expect(status.code).toBe(Code.FAILED_PRECONDITION);
    expect(status.details.map((d) => d.typeUrl)).toEqual([
      "type.googleapis.com/google.rpc.PreconditionFailure",
    ]);
  });
});

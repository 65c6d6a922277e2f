import { createRegistry } from "@bufbuild/protobuf";
import { file_google_rpc_error_details } from "@shop/gen/es/google/rpc/error_details_pb";
import { Code, ServiceError } from "@shop/libs/errors";
import { createLogger } from "@shop/libs/logging";
import { UpstreamError } from "../backend/upstream-error";
import { detailToJson, errorResponse, httpError } from "./error-writer";

const registry = createRegistry(file_google_rpc_error_details);

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    service: "api-gateway",
    level: "debug",
    destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
  });
  return { logger, lines };
}

describe("errorResponse", () => {
  it("logs an unexpected error with the request id and answers 500 'internal error'", () => {
    const { logger, lines } = capture();
    const answer = errorResponse(new TypeError("secret detail"), registry, logger, "req-1");
    expect(answer).toEqual({
      status: 500,
      headers: {},
      body: { code: Code.INTERNAL, message: "internal error", details: [] },
    });
    expect(lines[0]).toMatchObject({ level: "error", requestId: "req-1", code: "INTERNAL" });
    expect(JSON.stringify(lines[0])).toContain("secret detail");
  });

  it("uses an edge error's HTTP status and headers, and Retry-After from a retry delay", () => {
    const { logger } = capture();
    const tooBig = errorResponse(
      httpError(413, Code.RESOURCE_EXHAUSTED, "too big"),
      registry,
      logger,
    );
    expect(tooBig.status).toBe(413);
    const busy = errorResponse(
      new ServiceError(Code.UNAVAILABLE, "busy", { retryAfterMs: 1_200 }),
      registry,
      logger,
    );
    expect(busy.status).toBe(503);
    expect(busy.headers["retry-after"]).toBe("2");
  });

  it("passes an upstream's details through undecoded, unknown types as bytes", () => {
    const { logger } = capture();
    const unknown = { typeUrl: "type.googleapis.com/acme.Custom", value: new Uint8Array([1, 2]) };
    const broken = {
      typeUrl: "type.googleapis.com/google.rpc.ErrorInfo",
      value: new Uint8Array([0xff]),
    };
    const error = new UpstreamError(
      new ServiceError(Code.ABORTED, "conflict"),
      [unknown, broken],
      undefined,
    );
    const answer = errorResponse(error, registry, logger);
    expect(answer.status).toBe(409);
    expect(answer.body.details).toEqual([
      { "@type": "type.googleapis.com/acme.Custom", value: "AQI=" },
      { "@type": "type.googleapis.com/google.rpc.ErrorInfo", value: "/w==" },
    ]);
  });

  it("renders a known detail with every field", () => {
    const detail = new ServiceError(Code.FAILED_PRECONDITION, "short", {
      preconditionViolations: [{ type: "STOCK", subject: "p1", description: "2 left" }],
    }).toStatus().details[0]!;
    expect(detailToJson(detail, registry)).toEqual({
      "@type": "type.googleapis.com/google.rpc.PreconditionFailure",
      violations: [{ type: "STOCK", subject: "p1", description: "2 left" }],
    });
  });
});

import type { IncomingMessage } from "node:http";
import { clientIpOf, grpcTimeoutOf, requestIdOf } from "./edge-request-from-http";

/** The parts of a request these functions read. */
const request = (headers: Record<string, string>, remoteAddress = "::ffff:10.0.0.9") =>
  ({ headers, socket: { remoteAddress } }) as unknown as IncomingMessage;

describe("clientIpOf", () => {
  it("uses the socket's address, IPv4-mapped addresses unwrapped", () => {
    expect(clientIpOf(request({ "x-forwarded-for": "1.2.3.4" }), 0)).toBe("10.0.0.9");
    expect(clientIpOf(request({}, "::1"), 0)).toBe("::1");
  });

  it("takes the entry a trusted proxy added, never one a client could forge", () => {
    const forwarded = request({ "x-forwarded-for": "6.6.6.6, 1.2.3.4, 10.0.0.2" });
    expect(clientIpOf(forwarded, 1)).toBe("10.0.0.2");
    expect(clientIpOf(forwarded, 2)).toBe("1.2.3.4");
    expect(clientIpOf(request({ "x-forwarded-for": "garbage" }), 1)).toBe("10.0.0.9");
    expect(clientIpOf(request({}), 1)).toBe("10.0.0.9");
  });
});

describe("grpcTimeoutOf", () => {
  it.each([
    ["1H", 3_600_000],
    ["2M", 120_000],
    ["3S", 3_000],
    ["250m", 250],
    ["1500u", 1.5],
    ["2000000n", 2],
  ])("reads %s", (value, ms) => {
    expect(grpcTimeoutOf(request({ "grpc-timeout": value }))).toBe(ms);
  });

  it("is undefined when absent", () => {
    expect(grpcTimeoutOf(request({}))).toBeUndefined();
  });
});

describe("requestIdOf", () => {
  it("keeps a plain id and replaces anything else", () => {
    expect(requestIdOf(request({ "x-request-id": "abc-123" }))).toBe("abc-123");
    expect(requestIdOf(request({ "x-request-id": "x".repeat(129) }))).toHaveLength(36);
  });
});

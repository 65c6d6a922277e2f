import { createContextValues, createHandlerContext } from "@connectrpc/connect";
import { ConformanceService } from "../../test/gen/conformance/v1/conformance_pb";
import { edgeRequestFromRpc, RPC_CALL_ORIGIN } from "./rpc-request";

function context(headers: Record<string, string>, timeoutMs?: number) {
  return createHandlerContext({
    service: ConformanceService,
    method: ConformanceService.method.echo,
    protocolName: "grpc-web",
    requestMethod: "POST",
    url: "http://gateway/conformance.v1.ConformanceService/Echo",
    requestHeader: headers,
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    contextValues: createContextValues().set(RPC_CALL_ORIGIN, {
      requestId: "req-1",
      clientIp: "10.0.0.7",
    }),
  });
}

describe("edgeRequestFromRpc", () => {
  it("reads credentials, ids and the timeout, with the origin the HTTP layer found", () => {
    const ctx = context(
      {
        authorization: "Bearer t",
        "idempotency-key": "k-1",
        traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      },
      1_500,
    );
    const request = edgeRequestFromRpc(ctx);
    // Ends the deadline's timer.
    ctx.abort();
    expect(request).toMatchObject({
      protocol: "grpc-web",
      requestId: "req-1",
      clientIp: "10.0.0.7",
      authorization: "Bearer t",
      idempotencyKey: "k-1",
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      tracestate: undefined,
    });
    expect(request.timeoutMs).toBeGreaterThan(1_400);
    expect(request.timeoutMs).toBeLessThanOrEqual(1_500);
  });

  it("forwards custom metadata, never HTTP's own headers", () => {
    const request = edgeRequestFromRpc(
      context({
        "x-tenant": "acme",
        "x-trace-bin": "AQID",
        cookie: "session=1",
        origin: "https://app.example",
        "content-type": "application/grpc-web+proto",
        "connect-protocol-version": "1",
        "sec-fetch-mode": "cors",
        "x-grpc-web": "1",
        "x-forwarded-for": "1.2.3.4",
        "accept-encoding": "gzip",
      }),
    );
    expect(request.metadata).toEqual([
      ["x-tenant", "acme"],
      ["x-trace-bin", "AQID"],
    ]);
    expect(request.timeoutMs).toBeUndefined();
  });
});

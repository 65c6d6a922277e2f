/**
 * One span per call at the gRPC edge, so a call is one trace from the client through
 * the gateway to the services. Port 8000's HTTP instrumentation already opens a server
 * span for each request (this one is its child); on port 9000 (HTTP/2, which the
 * instrumentation does not see) this is the server span, continuing the client's W3C
 * traceparent. The backend call, its Redis and grpc-js spans run inside it, and grpc-js's
 * instrumentation sends this span as the backend's parent. Without the OpenTelemetry
 * SDK (tests, tools) every call here is a no-op.
 */
import {
  type Context,
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  trace,
} from "@opentelemetry/api";
import type { RpcTarget } from "../edge/rpc-target";

export interface RpcSpan {
  /** Runs `fn` with this span active: what it starts becomes the span's children. */
  run<T>(fn: () => T): T;
  /** Ends the span with the call's gRPC status code. */
  end(code: number): void;
}

const headerGetter: TextMapGetter<Headers> = {
  get: (carrier, key) => carrier.get(key) ?? undefined,
  keys: (carrier) => [...carrier.keys()],
};

/** gRPC codes that are the server's fault: an error span (OpenTelemetry's gRPC conventions). */
const SERVER_ERRORS = new Set([2, 4, 12, 13, 14, 15]);

/** Starts the span of a call of `rpc` over `protocol`, with the request's headers. */
export function startRpcSpan(rpc: RpcTarget, protocol: string, headers: Headers): RpcSpan {
  const active = context.active();
  const inHttpSpan = trace.getSpan(active) !== undefined;
  const parent: Context = inHttpSpan ? active : propagation.extract(active, headers, headerGetter);
  const span = trace.getTracer("api-gateway").startSpan(
    rpc.fullName,
    {
      kind: inHttpSpan ? SpanKind.INTERNAL : SpanKind.SERVER,
      attributes: {
        "rpc.system": protocol === "connect" ? "connect_rpc" : "grpc",
        "rpc.service": rpc.service.typeName,
        "rpc.method": rpc.method.name,
        "shop.edge.protocol": protocol,
      },
    },
    parent,
  );
  const spanContext = trace.setSpan(parent, span);
  return {
    run: (fn) => context.with(spanContext, fn),
    end(code) {
      span.setAttribute("rpc.grpc.status_code", code);
      if (SERVER_ERRORS.has(code)) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },
  };
}

import type { SpanRecord } from "@shop/libs/telemetry";
import { findTraceId, renderTrace, renderTraceLogs } from "./trace";

const T1 = "a".repeat(32);
const T2 = "b".repeat(32);

function span(overrides: Partial<SpanRecord> & Pick<SpanRecord, "spanId">): SpanRecord {
  return {
    traceId: T1,
    name: "work",
    kind: "INTERNAL",
    start: "2026-01-01T00:00:00.000000000Z",
    end: "2026-01-01T00:00:01.000000000Z",
    durationMs: 1,
    attributes: {},
    status: { code: "UNSET" },
    service: "order-service",
    ...overrides,
  };
}

const spans = [
  span({
    spanId: "root",
    kind: "SERVER",
    name: "POST",
    service: "api-gateway",
    attributes: {
      "http.request.method": "POST",
      "url.path": "/api/orders",
      "http.response.status_code": 200,
    },
  }),
  span({
    spanId: "call",
    parentSpanId: "root",
    kind: "CLIENT",
    name: "grpc.CreateOrder",
    start: "2026-01-01T00:00:00.1Z",
  }),
  span({
    spanId: "failed",
    parentSpanId: "call",
    name: "consume X",
    kind: "CONSUMER",
    service: "product-service",
    status: { code: "ERROR", message: "boom" },
  }),
  span({ spanId: "later", traceId: T2, kind: "SERVER", end: "2026-01-01T00:00:09.000000000Z" }),
];

it("finds a trace by trace id, by request id in the logs, or the latest request", () => {
  const logs = [
    { requestId: "req-1", traceId: T1, service: "api-gateway" },
    { requestId: "req-2", message: "no trace id" },
  ];
  expect(findTraceId(spans, T1.toUpperCase(), logs)).toBe(T1);
  expect(findTraceId(spans, "req-1", logs)).toBe(T1);
  expect(findTraceId(spans, "req-2", logs)).toBeUndefined();
  expect(findTraceId(spans, "unknown", logs)).toBeUndefined();
  expect(findTraceId(spans, undefined)).toBe(T2);
});

it("finds a request id recorded as a span attribute", () => {
  const tagged = [span({ spanId: "s", traceId: T2, attributes: { "shop.request_id": "req-9" } })];
  expect(findTraceId(tagged, "req-9")).toBe(T2);
});

it("draws the tree with services, what each span did, and errors", () => {
  expect(renderTrace(spans, T1).split("\n")).toEqual([
    `trace ${T1}: 3 spans in api-gateway, order-service, product-service`,
    "└─ api-gateway     SERVER   POST /api/orders -> 200  1.0 ms",
    "   └─ order-service   CLIENT   grpc.CreateOrder  1.0 ms",
    "      └─ product-service CONSUMER consume X  1.0 ms  ERROR boom",
  ]);
});

it("lists a trace's log lines in time order", () => {
  const logs = [
    {
      timestamp: "2026-01-01T00:00:02.000Z",
      traceId: T1,
      service: "b",
      level: "warn",
      message: "second",
      rpc: "/x.Y/Z",
    },
    {
      timestamp: "2026-01-01T00:00:01.000Z",
      traceId: T1,
      service: "a",
      level: "info",
      message: "first",
    },
    {
      timestamp: "2026-01-01T00:00:00.000Z",
      traceId: T2,
      service: "c",
      level: "info",
      message: "other",
    },
  ];
  expect(renderTraceLogs(logs, T1).split("\n")).toEqual([
    `logs of trace ${T1}: 2 lines`,
    "00:00:01.000 a               info  first",
    "00:00:02.000 b               warn  second  /x.Y/Z",
  ]);
});

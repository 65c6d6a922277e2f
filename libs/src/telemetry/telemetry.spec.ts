import { randomBytes } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { SpanStatusCode, trace } from "@opentelemetry/api";
import { createLogger } from "../logging";
import { SERVICE_NAME_ATTRIBUTE, withServiceName } from "./service-name";
import type { SpanRecord } from "./span-file-exporter";
import { EMBEDDED_SERVICE_NAME, shutdownTelemetry, startTelemetry } from "./telemetry";
import { currentTelemetry } from "./telemetry-handle";

// In-process: this test file has its own globalThis under jest, so the SDK it starts
// (embedded mode, span file) is private to it. Instrumentation of real modules is
// tested in a child process by preload.spec.ts.
describe("startTelemetry (embedded mode, span file)", () => {
  const spanFile = join(tmpdir(), `shop-spans-${randomBytes(4).toString("hex")}`, "spans.jsonl");
  const tracer = () => trace.getTracer("telemetry.spec");
  const readSpans = () =>
    readFileSync(spanFile, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as SpanRecord);

  afterAll(async () => {
    await shutdownTelemetry();
    rmSync(join(spanFile, ".."), { recursive: true, force: true });
  });

  it("starts once per process: a second call returns the first handle", () => {
    expect(currentTelemetry()).toBeUndefined();
    const first = startTelemetry({ serviceName: "ignored", embedded: true, spanFile });
    const second = startTelemetry({ serviceName: "order-service" });
    expect(second).toBe(first);
    expect(first).toMatchObject({ serviceName: EMBEDDED_SERVICE_NAME, embedded: true });
    expect(currentTelemetry()).toBe(first);
  });

  it("tags spans with the service from withServiceName, the active span included", async () => {
    tracer().startActiveSpan("grpc server call", (server) => {
      withServiceName("product-service", () => {
        tracer().startActiveSpan("db query", (query) => query.end());
      });
      server.end();
    });
    withServiceName("user-service", () => {
      tracer().startActiveSpan("relay tick", (span) => {
        span.setStatus({ code: SpanStatusCode.ERROR, message: "redis down" });
        span.end();
      });
    });
    tracer().startActiveSpan("unowned", (span) => span.end());
    await currentTelemetry()!.flush();

    const byName = new Map(readSpans().map((span) => [span.name, span]));
    const server = byName.get("grpc server call")!;
    const query = byName.get("db query")!;
    expect(server.attributes[SERVICE_NAME_ATTRIBUTE]).toBe("product-service");
    expect(query).toMatchObject({
      service: "product-service",
      parentSpanId: server.spanId,
      traceId: server.traceId,
      kind: "INTERNAL",
      status: { code: "UNSET" },
    });
    expect(byName.get("relay tick")).toMatchObject({
      service: "user-service",
      status: { code: "ERROR", message: "redis down" },
    });
    expect(byName.get("relay tick")!.parentSpanId).toBeUndefined();
    expect(byName.get("unowned")).toMatchObject({ service: EMBEDDED_SERVICE_NAME, attributes: {} });
    expect(Date.parse(query.end)).toBeGreaterThanOrEqual(Date.parse(query.start));
  });

  it("gives log lines written inside a span its trace and span ids", () => {
    const lines: string[] = [];
    const log = createLogger({
      service: "order-service",
      destination: new Writable({
        write(chunk, _encoding, callback) {
          lines.push(String(chunk));
          callback();
        },
      }),
    });
    let ids = { traceId: "", spanId: "" };
    tracer().startActiveSpan("handler", (span) => {
      ids = span.spanContext();
      log.info({ orderId: "o-1" }, "Order created");
      span.end();
    });
    log.info("outside");

    const [inside, outside] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(Object.keys(inside!)).toEqual([
      "timestamp",
      "service",
      "level",
      "traceId",
      "spanId",
      "message",
      "orderId",
    ]);
    expect(inside).toMatchObject({ traceId: ids.traceId, spanId: ids.spanId });
    expect(outside).not.toHaveProperty("traceId");
  });

  it("shuts down once; later calls are harmless", async () => {
    await shutdownTelemetry();
    await expect(currentTelemetry()!.shutdown()).resolves.toBeUndefined();
  });
});

import { context, propagation, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { NodeSDK } from "@opentelemetry/sdk-node";
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { EventEnvelope } from "@shop/gen/ts/shop/events/v1/events";
import { createServiceNameProcessor, SERVICE_NAME_ATTRIBUTE } from "../telemetry/service-name";
import { eventually } from "../testing/eventually";
import { buildEnvelope, encodeEnvelope, eventStream } from "./event-envelope";
import { withEventSpan } from "./event-span";
import { createMemoryEventBus } from "./memory-event-bus";
import { captureLogger } from "./testing/capture-logger";

const { logger } = captureLogger("product-service");
const exporter = new InMemorySpanExporter();
// The real SDK as the preload starts it, with the embedded mode's service-name processor.
const sdk = new NodeSDK({
  spanProcessors: [createServiceNameProcessor(), new SimpleSpanProcessor(exporter)],
  instrumentations: [],
  autoDetectResources: false,
});
const STREAM = eventStream("product-service");
const STOCK_CHANGED = "shop.events.v1.StockChanged";

beforeAll(() => sdk.start());
afterAll(async () => {
  await sdk.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
});
beforeEach(() => exporter.reset());

function envelope(aggregateId: string): EventEnvelope {
  return buildEnvelope({
    producer: "product-service",
    aggregateId,
    type: STOCK_CHANGED,
    payload: new Uint8Array([1, 2, 3]),
  });
}

function finished(name: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((s) => s.name === name);
}

it("continues the producer's trace in a tail subscription's handler", async () => {
  const bus = createMemoryEventBus({ logger });
  const seen: { spanId?: string; traceId?: string; aggregateId: string }[] = [];
  const tail = bus.tail({
    stream: STREAM,
    blockMs: 20,
    handler: (entry) => {
      const decoded = EventEnvelope.decode(entry.envelope);
      return withEventSpan(decoded, { service: "product-service", stream: entry.stream }, () => {
        const active = trace.getActiveSpan()?.spanContext();
        seen.push({
          aggregateId: decoded.aggregateId,
          ...(active ? { spanId: active.spanId, traceId: active.traceId } : {}),
        });
        return Promise.resolve();
      });
    },
  });
  await tail.ready;
  try {
    const producer = await trace.getTracer("test").startActiveSpan("ReserveStock", async (span) => {
      await bus.publish(STREAM, encodeEnvelope(envelope("p-1")));
      span.end();
      return span.spanContext();
    });
    await eventually("the tail's handler", () => seen.length === 1);
    const [consumed] = finished(`consume ${STOCK_CHANGED}`) as [ReadableSpan];
    expect(consumed.spanContext().traceId).toBe(producer.traceId);
    expect(consumed.parentSpanContext?.spanId).toBe(producer.spanId);
    expect(consumed.kind).toBe(SpanKind.CONSUMER);
    expect(seen).toEqual([
      {
        aggregateId: "p-1",
        spanId: consumed.spanContext().spanId,
        traceId: producer.traceId,
      },
    ]);
    expect(consumed.attributes).toMatchObject({
      "messaging.destination.name": STREAM,
      "messaging.operation.type": "process",
      "shop.event.type": STOCK_CHANGED,
      "shop.event.aggregate_id": "p-1",
      "shop.event.producer": "product-service",
      [SERVICE_NAME_ATTRIBUTE]: "product-service",
    });
    // A tail subscription has no consumer group.
    expect(consumed.attributes["messaging.consumer.group.name"]).toBeUndefined();
  } finally {
    await tail.close();
    await bus.close();
  }
});

it("names the consumer group of a group read", async () => {
  const built = trace.getTracer("test").startActiveSpan("produce", (span) => {
    const made = envelope("p-2");
    span.end();
    return made;
  });
  await withEventSpan(
    built,
    { service: "order-service", stream: "events.user-service", group: "order-service" },
    async () => undefined,
  );
  const [consumed] = finished(`consume ${STOCK_CHANGED}`) as [ReadableSpan];
  expect(consumed.attributes).toMatchObject({
    "messaging.consumer.group.name": "order-service",
    [SERVICE_NAME_ATTRIBUTE]: "order-service",
  });
});

it("records a failure on the span and rethrows it", async () => {
  await expect(
    withEventSpan(envelope("p-3"), { service: "product-service", stream: STREAM }, async () => {
      throw new Error("cache unreachable");
    }),
  ).rejects.toThrow("cache unreachable");
  const [consumed] = finished(`consume ${STOCK_CHANGED}`) as [ReadableSpan];
  expect(consumed.status).toEqual({ code: SpanStatusCode.ERROR, message: "cache unreachable" });
  expect(consumed.events.map((e) => e.name)).toEqual(["exception"]);
});

it("starts a new trace for an envelope without trace context", async () => {
  // Built outside any span: the envelope carries no traceparent.
  const orphan = envelope("p-4");
  expect(orphan.trace?.traceparent).toBe("");
  const result = await withEventSpan(
    orphan,
    { service: "product-service", stream: STREAM },
    async (span) => span.spanContext().traceId,
  );
  const [consumed] = finished(`consume ${STOCK_CHANGED}`) as [ReadableSpan];
  expect(consumed.parentSpanContext).toBeUndefined();
  expect(consumed.spanContext().traceId).toBe(result);
});

import { context, propagation, SpanStatusCode, trace } from "@opentelemetry/api";
import { NodeSDK } from "@opentelemetry/sdk-node";
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { eventually } from "../testing/eventually";
import { createEventConsumer } from "./event-consumer";
import { eventStream } from "./event-envelope";
import { createMemoryEventBus } from "./memory-event-bus";
import { createOutboxRelay } from "./outbox-relay";
import { captureLogger } from "./testing/capture-logger";
import { createEventsDatabase, type EventsDatabase } from "./testing/events-database";
import { countEffect, ORDER_CREATED, writeOrderEvents } from "./testing/order-events";

const { logger } = captureLogger("order-service");
const exporter = new InMemorySpanExporter();
// The real SDK, as the preload starts it: W3C propagation and an async context manager.
const sdk = new NodeSDK({
  spanProcessors: [new SimpleSpanProcessor(exporter)],
  instrumentations: [],
  autoDetectResources: false,
});
let db: EventsDatabase;

beforeAll(async () => {
  sdk.start();
  db = await createEventsDatabase(logger);
});
afterAll(async () => {
  await db.drop();
  await sdk.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
});

it("continues the producer's trace in a `consume <type>` span around the handler", async () => {
  const bus = createMemoryEventBus({ logger });
  const relay = createOutboxRelay({ pool: db.pool, bus, logger, pollMs: 50 });
  const handlerSpans: (string | undefined)[] = [];
  let failOnce = true;
  const consumer = createEventConsumer({
    pool: db.pool,
    bus,
    service: "product-service",
    consumerName: "c1",
    streams: [eventStream("order-service")],
    logger,
    blockMs: 20,
    claimIdleMs: 100,
    handlers: {
      [ORDER_CREATED]: async (payload, envelope, client) => {
        handlerSpans.push(trace.getActiveSpan()?.spanContext().spanId);
        await countEffect(payload, envelope, client);
        if (failOnce) {
          failOnce = false;
          throw new Error("first attempt fails");
        }
      },
    },
  });
  const tracer = trace.getTracer("test");
  const producer = await tracer.startActiveSpan("CreateOrder", async (span) => {
    await writeOrderEvents(db.pool, 1);
    span.end();
    return span.spanContext();
  });
  relay.start();
  try {
    const consumed = await eventually("two consume spans (a failure, then success)", () => {
      const spans = exporter
        .getFinishedSpans()
        .filter((s) => s.name === `consume ${ORDER_CREATED}`);
      return spans.length >= 2 ? spans : undefined;
    });
    for (const span of consumed) {
      expect(span.spanContext().traceId).toBe(producer.traceId);
      expect(span.parentSpanContext?.spanId).toBe(producer.spanId);
      expect(span.attributes).toMatchObject({
        "messaging.destination.name": "events.order-service",
        "messaging.consumer.group.name": "product-service",
      });
    }
    const [failed, succeeded] = consumed as [ReadableSpan, ReadableSpan];
    expect(failed.status.code).toBe(SpanStatusCode.ERROR);
    expect(succeeded.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(handlerSpans).toEqual(consumed.map((s) => s.spanContext().spanId));
  } finally {
    await relay.stop();
    await consumer.close();
  }
});

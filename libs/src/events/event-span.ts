import {
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import type { EventEnvelope } from "@shop/gen/ts/shop/events/v1/events";
import type { ServiceName } from "../mesh";
import { SERVICE_NAME_KEY } from "../telemetry/service-name";

export interface EventSpanOptions {
  /** The consuming service; in the embedded mode it names the span's service. */
  service: ServiceName;
  /** The stream the entry was read from, e.g. "events.product-service". */
  stream: string;
  /** The consumer group of a group read; absent for a tail subscription. */
  group?: string;
}

/**
 * Runs `handle` inside a `consume <type>` CONSUMER span that continues the trace the
 * envelope carries (the producer's, captured by buildEnvelope), so whatever the handler
 * does (its queries, its calls, its logs' traceId) appears in the trace of the request
 * that caused the event. An envelope without trace context starts a new trace. The span
 * ends when `handle` settles; a rejection is recorded on it (status ERROR) and rethrown.
 *
 * The one implementation for both reads of the bus: createEventConsumer's group reads
 * use it, and a service's own tail subscriptions (`bus.tail`, e.g. cache invalidation)
 * should wrap their handler in it too.
 */
export async function withEventSpan<T>(
  envelope: EventEnvelope,
  options: EventSpanOptions,
  handle: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = propagation
    .extract(ROOT_CONTEXT, {
      traceparent: envelope.trace?.traceparent ?? "",
      tracestate: envelope.trace?.tracestate ?? "",
    })
    .setValue(SERVICE_NAME_KEY, options.service);
  const span = trace.getTracer("@shop/libs/events").startSpan(
    `consume ${envelope.type}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        "messaging.system": "redis",
        "messaging.operation.type": "process",
        "messaging.destination.name": options.stream,
        ...(options.group !== undefined ? { "messaging.consumer.group.name": options.group } : {}),
        "messaging.message.id": envelope.id,
        "shop.event.type": envelope.type,
        "shop.event.aggregate_id": envelope.aggregateId,
        "shop.event.producer": envelope.producer,
      },
    },
    parent,
  );
  try {
    return await context.with(trace.setSpan(parent, span), () => handle(span));
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error));
    span.recordException(failure);
    span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
    throw error;
  } finally {
    span.end();
  }
}

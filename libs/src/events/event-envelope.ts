import { randomUUID } from "node:crypto";
import { context, propagation } from "@opentelemetry/api";
import { EventEnvelope } from "@shop/gen/ts/shop/events/v1/events";
import { Code, ServiceError } from "../errors";
import type { ServiceName } from "../mesh";

/** `Any.type_url` of a payload is this prefix followed by the message's full name. */
export const TYPE_URL_PREFIX = "type.googleapis.com/";

/** The stream a service publishes to: `events.<service>`. */
export function eventStream(producer: ServiceName): string {
  return `events.${producer}`;
}

/** An event's type and encoded payload, as writeEvent takes them. */
export interface PackedEvent {
  /** The payload's full message name, e.g. "shop.events.v1.OrderCreated". */
  type: string;
  payload: Uint8Array;
}

/** The part of ts-proto's generated `MessageFns<T>` that packing needs. */
export interface MessageEncoder<T> {
  encode(message: T): { finish(): Uint8Array };
}

/**
 * Encodes a generated message for writeEvent:
 * `writeEvent(client, { producer, aggregateId, ...packEvent(OrderCreated, "shop.events.v1.OrderCreated", { order }) })`.
 */
export function packEvent<T>(fns: MessageEncoder<T>, fullName: string, message: T): PackedEvent {
  return { type: fullName, payload: fns.encode(message).finish() };
}

export interface EnvelopeInput extends PackedEvent {
  producer: ServiceName;
  /** The id of the entity the event is about (order, product, user). */
  aggregateId: string;
}

const FULL_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$/;

/**
 * A new envelope: a fresh UUID, the time now, and the W3C trace context of the active
 * OpenTelemetry context, so the consumer's span continues the producer's trace.
 */
export function buildEnvelope(input: EnvelopeInput): EventEnvelope {
  if (!FULL_NAME.test(input.type)) {
    throw new ServiceError(
      Code.INVALID_ARGUMENT,
      `event type must be a full message name like "shop.events.v1.OrderCreated", got ${JSON.stringify(input.type)}`,
      { fieldViolations: [{ field: "type", description: "not a full message name" }] },
    );
  }
  if (input.aggregateId === "") {
    throw new ServiceError(Code.INVALID_ARGUMENT, `event aggregateId of ${input.type} is empty`, {
      fieldViolations: [{ field: "aggregateId", description: "must not be empty" }],
    });
  }
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return {
    id: randomUUID(),
    type: input.type,
    occurredAt: new Date(),
    producer: input.producer,
    trace: { traceparent: carrier.traceparent ?? "", tracestate: carrier.tracestate ?? "" },
    payload: { typeUrl: TYPE_URL_PREFIX + input.type, value: Buffer.from(input.payload) },
    aggregateId: input.aggregateId,
  };
}

/** The binary form that travels in the outbox and on the bus. */
export function encodeEnvelope(envelope: EventEnvelope): Uint8Array {
  return EventEnvelope.encode(envelope).finish();
}

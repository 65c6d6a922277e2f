/**
 * Events: the transactional outbox (writeEvent), the relay that publishes it
 * (createOutboxRelay), the consumer that applies events exactly once in effect through
 * the inbox (createEventConsumer), and the bus beneath them, on Redis Streams or in
 * memory. Apply EVENTS_MIGRATIONS_DIR with migrate(pool, { namespace: "libs.events", ... }).
 */
import { join } from "node:path";

/** The outbox and inbox tables' migrations, for the namespace "libs.events". */
export const EVENTS_MIGRATIONS_DIR = join(__dirname, "migrations");
export const EVENTS_MIGRATIONS_NAMESPACE = "libs.events";

export type { BackoffOptions } from "./backoff";
export {
  type ConsumeOptions,
  DEFAULT_BATCH_SIZE,
  DEFAULT_BLOCK_MS,
  DEFAULT_CLAIM_IDLE_MS,
  DEFAULT_MAX_LEN,
  type EntryHandler,
  type EventBus,
  type StreamEntry,
  type Subscription,
  type TailOptions,
} from "./event-bus";
export {
  createEventConsumer,
  type EventConsumerOptions,
  type EventHandler,
} from "./event-consumer";
export {
  buildEnvelope,
  type EnvelopeInput,
  encodeEnvelope,
  eventStream,
  type MessageEncoder,
  type PackedEvent,
  packEvent,
  TYPE_URL_PREFIX,
} from "./event-envelope";
export { type EventSpanOptions, withEventSpan } from "./event-span";
export { createMemoryEventBus, type MemoryEventBusOptions } from "./memory-event-bus";
export { createOutboxRelay, type OutboxRelay, type OutboxRelayOptions } from "./outbox-relay";
export { createRedisEventBus, type RedisEventBusOptions } from "./redis-event-bus";
export { type OutboxInsert, outboxInsert, writeEvent, writeEvents } from "./write-event";

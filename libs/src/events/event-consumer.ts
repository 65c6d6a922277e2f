import { EventEnvelope } from "@shop/gen/ts/shop/events/v1/events";
import type { Pool, PoolClient } from "pg";
import { withTransaction } from "../db/transaction";
import type { Logger } from "../logging";
import type { ServiceName } from "../mesh";
import type { EventBus, StreamEntry, Subscription } from "./event-bus";
import { withEventSpan } from "./event-span";

/**
 * Applies one event inside the inbox transaction: everything it writes through `client`
 * commits together with the inbox row, or not at all (the event is then delivered
 * again). Effects outside the database are not covered by the inbox.
 */
export type EventHandler = (
  payload: Uint8Array,
  envelope: EventEnvelope,
  client: PoolClient,
) => Promise<void>;

export interface EventConsumerOptions {
  pool: Pool;
  bus: EventBus;
  /** The consuming service: its consumer group and its key in the inbox. */
  service: ServiceName;
  /** This instance, unique within the service (e.g. the pod name). */
  consumerName: string;
  /** The streams to read, e.g. `[eventStream("order-service")]`. */
  streams: readonly string[];
  /** By event type (full message name); other types are acknowledged and skipped. */
  handlers: Readonly<Record<string, EventHandler>>;
  logger: Logger;
  batchSize?: number;
  blockMs?: number;
  /** See ConsumeOptions.claimIdleMs: keep it above the slowest handler. */
  claimIdleMs?: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Consumes streams as a member of the service's consumer group, exactly once in
 * effect: per entry, one transaction inserts (service, event id) into the inbox and,
 * only if that row is new, runs the handler with the same client; the entry is
 * acknowledged after the commit. A duplicate (re-published, or redelivered after a
 * crash between commit and ack) finds its inbox row and is acknowledged unapplied.
 * The handler runs in a `consume <type>` span continuing the producer's trace
 * (withEventSpan).
 */
export function createEventConsumer(options: EventConsumerOptions): Subscription {
  const { pool, service, logger } = options;

  async function handle(entry: StreamEntry): Promise<void> {
    let envelope: EventEnvelope;
    try {
      envelope = EventEnvelope.decode(entry.envelope);
    } catch (error) {
      // Redelivering bytes that cannot be decoded would fail forever.
      logger.error(
        { err: error, stream: entry.stream, entryId: entry.id },
        "undecodable event envelope; skipped",
      );
      return;
    }
    const fields = {
      stream: entry.stream,
      entryId: entry.id,
      eventId: envelope.id,
      eventType: envelope.type,
    };
    if (!UUID.test(envelope.id)) {
      logger.error(fields, "event without a valid id cannot be deduplicated; skipped");
      return;
    }
    const handler = options.handlers[envelope.type];
    if (!handler) {
      logger.warn(fields, "no handler for this event type; skipped");
      return;
    }
    await withEventSpan(
      envelope,
      { service, stream: entry.stream, group: service },
      async (span) => {
        const applied = await withTransaction(pool, async (client) => {
          const inserted = await client.query(
            "INSERT INTO inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            [service, envelope.id],
          );
          if (inserted.rowCount === 0) return false;
          await handler(envelope.payload?.value ?? new Uint8Array(), envelope, client);
          return true;
        });
        span.setAttribute("shop.event.duplicate", !applied);
        if (!applied) logger.debug(fields, "event already applied; acknowledged");
      },
    );
  }

  const subscriptions = options.streams.map((stream) =>
    options.bus.consume({
      stream,
      group: service,
      consumer: options.consumerName,
      handler: handle,
      ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
      ...(options.blockMs !== undefined ? { blockMs: options.blockMs } : {}),
      ...(options.claimIdleMs !== undefined ? { claimIdleMs: options.claimIdleMs } : {}),
    }),
  );
  return {
    ready: Promise.all(subscriptions.map((s) => s.ready)).then(() => undefined),
    async close() {
      await Promise.all(subscriptions.map((s) => s.close()));
    },
  };
}

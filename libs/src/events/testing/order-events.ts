import { randomUUID } from "node:crypto";
import { OrderCreated } from "@shop/gen/ts/shop/events/v1/events";
import type { Pool } from "pg";
import { withTransaction } from "../../db/transaction";
import type { EventHandler } from "../event-consumer";
import { packEvent } from "../event-envelope";
import { writeEvent } from "../write-event";

export const ORDER_CREATED = "shop.events.v1.OrderCreated";

/**
 * Test support: writes `count` OrderCreated events, each in its own transaction as a
 * service would; every `rollbackEvery`-th transaction rolls back instead.
 */
export async function writeOrderEvents(
  pool: Pool,
  count: number,
  { rollbackEvery = 0 } = {},
): Promise<{ committed: string[]; rolledBack: string[] }> {
  const committed: string[] = [];
  const rolledBack: string[] = [];
  for (let i = 1; i <= count; i++) {
    const rollback = rollbackEvery > 0 && i % rollbackEvery === 0;
    const orderId = randomUUID();
    const write = (client: Parameters<typeof writeEvent>[0]) =>
      writeEvent(client, {
        producer: "order-service",
        aggregateId: orderId,
        ...packEvent(
          OrderCreated,
          ORDER_CREATED,
          OrderCreated.fromPartial({ order: { id: orderId } }),
        ),
      });
    if (!rollback) {
      committed.push(await withTransaction(pool, write));
      continue;
    }
    await withTransaction(pool, async (client) => {
      rolledBack.push(await write(client));
      throw new Error("rolled back on purpose");
    }).catch(() => undefined);
  }
  return { committed, rolledBack };
}

/**
 * The effect of an OrderCreated in the consumer's transaction: a counter per event, so
 * a test proves "exactly once in effect" by every counter being 1.
 */
export const countEffect: EventHandler = async (payload, envelope, client) => {
  const order = OrderCreated.decode(payload).order;
  await client.query(
    `INSERT INTO effects (event_id, aggregate_id, n) VALUES ($1, $2, 1)
     ON CONFLICT (event_id) DO UPDATE SET n = effects.n + 1`,
    [envelope.id, order?.id ?? ""],
  );
};

/** event id -> how many times its effect was applied. */
export async function readEffects(pool: Pool): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ event_id: string; aggregate_id: string; n: number }>(
    "SELECT event_id, aggregate_id, n FROM effects",
  );
  return new Map(rows.map((r) => [r.event_id, r.n]));
}

/** Unpublished outbox rows. */
export async function unpublishedCount(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL",
  );
  return rows[0]?.n ?? 0;
}

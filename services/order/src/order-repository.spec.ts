import { randomUUID } from "node:crypto";
import { EventEnvelope, OrderConfirmed, OrderCreated } from "@shop/gen/ts/shop/events/v1/events";
import { createPool, migrate } from "@shop/libs/db";
import { EVENTS_MIGRATIONS_DIR, EVENTS_MIGRATIONS_NAMESPACE } from "@shop/libs/events";
import { createLogger } from "@shop/libs/logging";
import { createScratchDatabase, type ScratchDatabase, TEST_ADMIN_URL } from "@shop/libs/testing";
import type { Pool } from "pg";
import { createOrderRepository, LeaseLostError, type OrderRepository } from "./order-repository";
import { ORDER_MIGRATIONS_DIR } from "./order-service";

const logger = createLogger({ service: "order-service", level: "silent" });

describe("order repository: writes and their events in one statement", () => {
  let database: ScratchDatabase;
  let pool: Pool;
  let repository: OrderRepository;

  beforeAll(async () => {
    database = await createScratchDatabase(TEST_ADMIN_URL);
    pool = createPool({ url: database.url, applicationName: "order-repository-spec", logger });
    await migrate(pool, {
      namespace: EVENTS_MIGRATIONS_NAMESPACE,
      dir: EVENTS_MIGRATIONS_DIR,
      logger,
    });
    await migrate(pool, { namespace: "order-service", dir: ORDER_MIGRATIONS_DIR, logger });
    repository = createOrderRepository(pool);
  });
  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  /** The outbox's events about `orderId`, decoded, in publishing order. */
  async function eventsOf(orderId: string) {
    const { rows } = await pool.query<{ envelope: Buffer }>(
      "SELECT envelope FROM outbox ORDER BY id",
    );
    return rows
      .map((r) => EventEnvelope.decode(r.envelope))
      .filter((e) => e.aggregateId === orderId)
      .map((e) => {
        const decode = e.type.endsWith("OrderCreated") ? OrderCreated : OrderConfirmed;
        return { type: e.type, order: decode.decode(e.payload!.value).order! };
      });
  }

  async function place(userId = `user-${randomUUID()}`) {
    const owner = randomUUID();
    const result = await repository.create({
      id: randomUUID(),
      userId,
      lines: [{ productId: "p-1", quantity: 2 }],
      productNames: new Map([["p-1", "Lamp"]]),
      paymentToken: "tok_approve",
      lease: { owner, ms: 30_000 },
    });
    if (result.kind !== "created") throw new Error("expected a new order");
    return { order: result.order, owner };
  }

  const confirm = {
    log: { step: "FINISH", outcome: "CONFIRMED" },
    set: { status: "CONFIRMED", sagaStep: "DONE" },
    event: { type: "OrderConfirmed" },
  } as const;

  it("creates the order with its OrderCreated event, both showing the stored order", async () => {
    const { order } = await place("user-created");
    const [created] = await eventsOf(order.id);
    expect(created).toMatchObject({
      type: "shop.events.v1.OrderCreated",
      order: { id: order.id, userId: "user-created", createTime: order.createdAt },
    });
    expect(created!.order.updateTime).toEqual(order.updatedAt);
    const { rows } = await pool.query("SELECT created_at, updated_at FROM orders WHERE id = $1", [
      order.id,
    ]);
    expect(rows[0]).toEqual({ created_at: order.createdAt, updated_at: order.updatedAt });
  });

  it("writes a step's event with the order as the step left it", async () => {
    const { order, owner } = await place("user-confirmed");
    const confirmed = await repository.applySagaChange(order, owner, confirm, 30_000);
    expect(confirmed).toMatchObject({ status: "CONFIRMED", userId: "user-confirmed" });
    const events = await eventsOf(order.id);
    expect(events.map((e) => e.type)).toEqual([
      "shop.events.v1.OrderCreated",
      "shop.events.v1.OrderConfirmed",
    ]);
    expect(events[1]!.order).toMatchObject({
      userId: "user-confirmed",
      updateTime: confirmed.updatedAt,
    });
  });

  it("never publishes an erased user's id: an erasure during the step shows in its event", async () => {
    const { order, owner } = await place("user-erased");
    // UserDeleted arrives while the saga runs: the run still knows the old user id.
    await pool.query("UPDATE orders SET user_id = NULL, anonymized_at = now() WHERE id = $1", [
      order.id,
    ]);
    const confirmed = await repository.applySagaChange(order, owner, confirm, 30_000);
    expect(confirmed).toMatchObject({ status: "CONFIRMED", userId: null });
    const events = await eventsOf(order.id);
    expect(events).toHaveLength(2);
    expect(events[1]).toMatchObject({ type: "shop.events.v1.OrderConfirmed" });
    expect(events[1]!.order.userId).toBe("");
  });

  it("writes nothing for a run that lost its lease", async () => {
    const { order } = await place();
    await expect(repository.applySagaChange(order, randomUUID(), confirm, 30_000)).rejects.toThrow(
      LeaseLostError,
    );
    expect((await eventsOf(order.id)).map((e) => e.type)).toEqual(["shop.events.v1.OrderCreated"]);
    const { rows } = await pool.query(
      "SELECT status, (SELECT count(*)::int FROM saga_log WHERE order_id = $1) AS logged FROM orders WHERE id = $1",
      [order.id],
    );
    expect(rows[0]).toEqual({ status: "PENDING", logged: 1 });
  });
});

import { randomBytes, randomUUID } from "node:crypto";
import { OrderCreated } from "@shop/gen/ts/shop/events/v1/events";
import { Redis } from "ioredis";
import { eventually } from "../testing/eventually";
import type { EventBus, Subscription } from "./event-bus";
import { createEventConsumer, type EventHandler } from "./event-consumer";
import { buildEnvelope, encodeEnvelope, eventStream, packEvent } from "./event-envelope";
import { createMemoryEventBus } from "./memory-event-bus";
import { createOutboxRelay } from "./outbox-relay";
import { createRedisEventBus } from "./redis-event-bus";
import { captureLogger } from "./testing/capture-logger";
import { createEventsDatabase, type EventsDatabase } from "./testing/events-database";
import {
  countEffect,
  ORDER_CREATED,
  readEffects,
  unpublishedCount,
  writeOrderEvents,
} from "./testing/order-events";

const REDIS = { host: "127.0.0.1", port: 6379 };
const STREAM = eventStream("order-service");
const SERVICE = "product-service";
const captured = captureLogger(SERVICE);
const { logger } = captured;

let db: EventsDatabase;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  db = await createEventsDatabase(logger);
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await db.pool.query("TRUNCATE outbox, inbox, effects");
});
afterAll(() => db.drop());

function consume(
  bus: EventBus,
  options: {
    name?: string;
    handler?: EventHandler;
    pool?: EventsDatabase["pool"];
    batchSize?: number;
    claimIdleMs?: number;
    streams?: string[];
  } = {},
): Subscription {
  const subscription = createEventConsumer({
    pool: options.pool ?? db.pool,
    bus,
    service: SERVICE,
    consumerName: options.name ?? "c1",
    streams: options.streams ?? [STREAM],
    handlers: { [ORDER_CREATED]: options.handler ?? countEffect },
    logger,
    blockMs: 20,
    claimIdleMs: options.claimIdleMs ?? 150,
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
  });
  cleanups.push(() => subscription.close());
  return subscription;
}

function memoryBus(): EventBus {
  const bus = createMemoryEventBus({ logger });
  cleanups.push(() => bus.close());
  return bus;
}

function orderEnvelope(overrides: { type?: string } = {}) {
  const orderId = randomUUID();
  return buildEnvelope({
    producer: "order-service",
    aggregateId: orderId,
    ...packEvent(OrderCreated, ORDER_CREATED, OrderCreated.fromPartial({ order: { id: orderId } })),
    ...overrides,
  });
}

async function expectEachAppliedOnce(ids: string[], bus: EventBus, stream = STREAM) {
  await eventually(
    "every event applied",
    async () => (await readEffects(db.pool)).size >= ids.length,
  );
  await eventually("nothing pending", async () => (await bus.pending(stream, SERVICE)) === 0);
  const effects = await readEffects(db.pool);
  expect([...effects.keys()].sort()).toEqual([...ids].sort());
  expect([...effects.values()].every((n) => n === 1)).toBe(true);
}

describe("createEventConsumer", () => {
  it("reclaims the entries of a consumer killed mid-batch and applies each exactly once", async () => {
    const prefix = `test:consumer:${randomBytes(4).toString("hex")}:`;
    const admin = new Redis(REDIS);
    const bus = createRedisEventBus({ redis: REDIS, logger, keyPrefix: prefix });
    cleanups.push(async () => {
      await bus.close();
      await admin.del(prefix + STREAM);
      admin.disconnect();
    });
    const { committed } = await writeOrderEvents(db.pool, 12);
    const relay = createOutboxRelay({ pool: db.pool, bus, logger, pollMs: 50 });
    relay.start();
    cleanups.push(() => relay.stop());
    await eventually("all published", async () => (await unpublishedCount(db.pool)) === 0);

    // Consumer A takes all twelve in one batch, applies three, and on the fourth writes
    // its effect and then hangs inside the transaction, never committing or acking.
    let calls = 0;
    let stuck!: (pid: number) => void;
    const stuckAt = new Promise<number>((resolve) => {
      stuck = resolve;
    });
    let release!: () => void;
    const hang = new Promise<void>((resolve) => {
      release = resolve;
    });
    const a = consume(bus, {
      name: "a",
      pool: db.newPool(),
      batchSize: 12,
      claimIdleMs: 60_000,
      handler: async (payload, envelope, client) => {
        await countEffect(payload, envelope, client);
        if (++calls !== 4) return;
        const { rows } = await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
        stuck(rows[0]!.pid);
        await hang;
      },
    });
    // Runs before A's close (cleanups run in reverse), so a failed test cannot hang it.
    cleanups.push(async () => release());
    const pid = await stuckAt;
    // The process dies: PostgreSQL ends its session and rolls its transaction back.
    await db.pool.query("SELECT pg_terminate_backend($1)", [pid]);
    expect(await bus.pending(STREAM, SERVICE)).toBe(9);

    consume(bus, { name: "b", claimIdleMs: 200 });
    await expectEachAppliedOnce(committed, bus);

    // A wakes up on a dead connection: its commit fails and nothing is acked twice.
    release();
    await a.close();
    await expectEachAppliedOnce(committed, bus);
    expect(captured.matching(/event handler failed/).length).toBeGreaterThanOrEqual(1);
  });

  it("applies a duplicate once and acknowledges it (re-published, or redelivered after commit)", async () => {
    const bus = memoryBus();
    const envelope = orderEnvelope();
    const already = orderEnvelope();
    // `already` was applied before a crash that lost its ack: its inbox row exists.
    await db.pool.query("INSERT INTO inbox (consumer, event_id) VALUES ($1, $2)", [
      SERVICE,
      already.id,
    ]);
    for (const e of [envelope, envelope, already, envelope])
      await bus.publish(STREAM, encodeEnvelope(e));
    consume(bus);
    await expectEachAppliedOnce([envelope.id], bus);
    const { rows } = await db.pool.query(
      "SELECT event_id FROM inbox WHERE consumer = $1 ORDER BY event_id",
      [SERVICE],
    );
    expect(rows.map((r) => r.event_id).sort()).toEqual([envelope.id, already.id].sort());
  });

  it("rolls back a failed handler's writes and applies the event when it is delivered again", async () => {
    const bus = memoryBus();
    const envelopes = [orderEnvelope(), orderEnvelope(), orderEnvelope()];
    const failing = envelopes[1]!.id;
    let failures = 0;
    consume(bus, {
      handler: async (payload, envelope, client) => {
        await countEffect(payload, envelope, client);
        if (envelope.id === failing && failures++ === 0) throw new Error("downstream unavailable");
      },
    });
    for (const e of envelopes) await bus.publish(STREAM, encodeEnvelope(e));
    await expectEachAppliedOnce(
      envelopes.map((e) => e.id),
      bus,
    );
    expect(failures).toBe(2);
  });

  it("acknowledges and logs what it cannot handle, without blocking what follows", async () => {
    const bus = memoryBus();
    const unknown = orderEnvelope({ type: "shop.events.v1.SomethingNew" });
    const noId = { ...orderEnvelope(), id: "not-a-uuid" };
    const good = orderEnvelope();
    await bus.publish(STREAM, encodeEnvelope(unknown));
    await bus.publish(STREAM, new Uint8Array([0xff, 0xff, 0xff]));
    await bus.publish(STREAM, encodeEnvelope(noId));
    await bus.publish(STREAM, encodeEnvelope(good));
    consume(bus);
    await expectEachAppliedOnce([good.id], bus);
    expect(captured.matching(/no handler for this event type/).at(-1)).toMatchObject({
      eventType: "shop.events.v1.SomethingNew",
      eventId: unknown.id,
    });
    expect(captured.matching(/undecodable event envelope/).length).toBeGreaterThanOrEqual(1);
    expect(captured.matching(/without a valid id/).at(-1)).toMatchObject({ eventId: "not-a-uuid" });
  });

  it("reads several streams into one inbox", async () => {
    const bus = memoryBus();
    const other = eventStream("user-service");
    const a = orderEnvelope();
    const b = orderEnvelope();
    await bus.publish(STREAM, encodeEnvelope(a));
    await bus.publish(other, encodeEnvelope(b));
    const subscription = consume(bus, { streams: [STREAM, other] });
    await subscription.ready;
    await expectEachAppliedOnce([a.id, b.id], bus);
    expect(await bus.pending(other, SERVICE)).toBe(0);
  });
});

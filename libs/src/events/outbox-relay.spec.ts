import { randomBytes } from "node:crypto";
import { EventEnvelope } from "@shop/gen/ts/shop/events/v1/events";
import { Redis } from "ioredis";
import { eventually } from "../testing/eventually";
import type { EventBus, Subscription } from "./event-bus";
import { createEventConsumer } from "./event-consumer";
import { eventStream } from "./event-envelope";
import { createOutboxRelay, type OutboxRelay } from "./outbox-relay";
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
const captured = captureLogger();
const { logger } = captured;
const admin = new Redis(REDIS);

// Each test gets its own database and key prefix, so streams, groups and outboxes
// never mix between tests or with anything else on the shared servers.
let db: EventsDatabase;
let prefix: string;
let bus: EventBus;
const running: { stop(): Promise<void> }[] = [];

beforeEach(async () => {
  db = await createEventsDatabase(logger);
  prefix = `test:relay:${randomBytes(4).toString("hex")}:`;
  bus = createRedisEventBus({ redis: REDIS, logger, keyPrefix: prefix });
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
  await bus.close();
  await admin.del(prefix + STREAM);
  await db.drop();
});

afterAll(() => admin.disconnect());

function relay(
  options: { batchSize?: number; retentionMs?: number; pollMs?: number; idleAfterMs?: number } = {},
): OutboxRelay {
  const r = createOutboxRelay({ pool: db.newPool(), bus, logger, pollMs: 50, ...options });
  r.start();
  running.push(r);
  return r;
}

function consumer(): Subscription {
  const subscription = createEventConsumer({
    pool: db.pool,
    bus,
    service: "product-service",
    consumerName: "c1",
    streams: [STREAM],
    handlers: { [ORDER_CREATED]: countEffect },
    logger,
    blockMs: 50,
    claimIdleMs: 500,
  });
  running.push({ stop: () => subscription.close() });
  return subscription;
}

/** The event ids on the stream, in stream order. */
async function streamEventIds(): Promise<string[]> {
  const entries = await admin.xrangeBuffer(prefix + STREAM, "-", "+");
  return entries.map(([, fields]) => EventEnvelope.decode(fields[1]!).id);
}

async function outboxOrder(): Promise<string[]> {
  const { rows } = await db.pool.query<{ event_id: string }>(
    "SELECT event_id FROM outbox ORDER BY id",
  );
  return rows.map((r) => r.event_id);
}

/** All of `ids` applied, the group drained, and each effect applied exactly once. */
async function expectAppliedOnce(ids: string[]): Promise<void> {
  await eventually(
    "every event applied",
    async () => (await readEffects(db.pool)).size >= ids.length,
  );
  await eventually(
    "the group drained",
    async () => (await bus.pending(STREAM, "product-service")) === 0,
  );
  const effects = await readEffects(db.pool);
  expect([...effects.keys()].sort()).toEqual([...ids].sort());
  expect([...effects.values()].every((n) => n === 1)).toBe(true);
}

describe("outbox -> relay -> consumer", () => {
  it("applies each committed event once, in outbox order, and never a rolled-back one", async () => {
    const { committed, rolledBack } = await writeOrderEvents(db.pool, 40, { rollbackEvery: 4 });
    expect(rolledBack).toHaveLength(10);
    consumer();
    const r = relay({ batchSize: 7 });
    await expectAppliedOnce(committed);
    expect(await unpublishedCount(db.pool)).toBe(0);
    expect(await r.lagSeconds()).toBe(0);
    expect(await streamEventIds()).toEqual(committed);
    expect(await outboxOrder()).toEqual(committed);
    const { rows } = await db.pool.query("SELECT 1 FROM inbox WHERE event_id = ANY($1::uuid[])", [
      rolledBack,
    ]);
    expect(rows).toHaveLength(0);
  });

  it("loses and doubles nothing across a relay stopped mid-way and a crash before marking", async () => {
    const first = await writeOrderEvents(db.pool, 150);
    const a = relay({ batchSize: 5 });
    await eventually(
      "relay A to publish some",
      async () => (await unpublishedCount(db.pool)) < 150,
    );
    await a.stop();
    const second = await writeOrderEvents(db.pool, 20);
    // A relay that crashed after XADD and before marking: its rows are published again.
    const { rowCount: republished } = await db.pool.query(
      `UPDATE outbox SET published_at = NULL
        WHERE id IN (SELECT id FROM outbox WHERE published_at IS NOT NULL ORDER BY id DESC LIMIT 5)`,
    );
    expect(republished).toBe(5);
    relay({ batchSize: 5 });
    consumer();
    const all = [...first.committed, ...second.committed];
    await expectAppliedOnce(all);
    const onStream = await streamEventIds();
    // The duplicates did reach the stream; the inbox kept their effect single.
    expect(onStream).toHaveLength(all.length + 5);
    expect(new Set(onStream)).toEqual(new Set(all));
    const { rows } = await db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM inbox");
    expect(rows[0]?.n).toBe(all.length);
  });

  it("lets one relay publish at a time; a standby takes over when the leader stops", async () => {
    const a = relay();
    const b = relay();
    const leader = await eventually("a leader", () =>
      a.isLeader() ? a : b.isLeader() ? b : undefined,
    );
    const standby = leader === a ? b : a;
    expect(standby.isLeader()).toBe(false);
    const first = await writeOrderEvents(db.pool, 10);
    await eventually(
      "the first events published",
      async () => (await unpublishedCount(db.pool)) === 0,
    );
    await leader.stop();
    await eventually("the standby to lead", () => standby.isLeader());
    const second = await writeOrderEvents(db.pool, 10);
    await eventually(
      "the second events published",
      async () => (await unpublishedCount(db.pool)) === 0,
    );
    expect(await streamEventIds()).toEqual([...first.committed, ...second.committed]);
  });

  it("gets back to publishing after the leader's database session is killed", async () => {
    const r = relay();
    await eventually("leadership", () => r.isLeader());
    const first = await writeOrderEvents(db.pool, 5);
    await eventually(
      "the first events published",
      async () => (await unpublishedCount(db.pool)) === 0,
    );
    // The session holding this database's leader lock (a bigint key: high and low halves).
    const { rows } = await db.pool.query<{ pid: number }>(
      `SELECT pid FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND classid = $1 AND objid = $2 AND objsubid = 1
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [0x6f75, 0x74626f78],
    );
    expect(rows).toHaveLength(1);
    await db.pool.query("SELECT pg_terminate_backend($1)", [rows[0]!.pid]);
    await eventually(
      "the relay to notice",
      () => captured.matching(/lost its database session/).length > 0,
    );
    const second = await writeOrderEvents(db.pool, 5);
    await eventually(
      "the later events published",
      async () => (await unpublishedCount(db.pool)) === 0,
    );
    expect(r.isLeader()).toBe(true);
    expect(await streamEventIds()).toEqual([...first.committed, ...second.committed]);
  });

  it("polls while events flow, with writers silent; once idle it listens, and a write wakes it", async () => {
    // A fallback poll of a minute: only a NOTIFY can wake the idle relay in time.
    relay({ pollMs: 60_000, idleAfterMs: 1_000 });
    const listening = async () =>
      (await db.pool.query<{ listening: boolean }>("SELECT listening FROM outbox_relay")).rows[0]!
        .listening;
    const listener = await db.pool.connect();
    const notifications: string[] = [];
    listener.on("notification", (n) => notifications.push(n.channel));
    await listener.query("LISTEN outbox");
    try {
      await eventually("the relay to lead and poll", async () => !(await listening()));
      // Events flowing: polled and published, and no writer notified.
      for (let i = 0; i < 5; i++) {
        const { committed } = await writeOrderEvents(db.pool, 1);
        await eventually("published while polling", async () =>
          (await streamEventIds()).includes(committed[0]!),
        );
      }
      expect(notifications).toEqual([]);
      // Quiet: the relay says it listens; the next write notifies and is published at once.
      await eventually("the idle relay to listen", listening);
      const { committed } = await writeOrderEvents(db.pool, 1);
      await eventually(
        "the notified relay to publish",
        async () => (await streamEventIds()).includes(committed[0]!),
        { timeoutMs: 5_000 },
      );
      expect(notifications).toEqual(["outbox"]);
      // Woken, it polls again and writers are silent again.
      await eventually("the woken relay to poll", async () => !(await listening()));
    } finally {
      listener.release(true);
    }
  });

  it("reports lag while rows wait, and prunes published rows past retention", async () => {
    await db.pool.query(
      `INSERT INTO outbox (event_id, stream, type, envelope, created_at, published_at)
       VALUES (gen_random_uuid(), 'events.order-service', 'x.Y', '\\x00', now() - interval '3 days', now() - interval '2 days')`,
    );
    const { committed } = await writeOrderEvents(db.pool, 3);
    const probe = createOutboxRelay({ pool: db.pool, bus, logger });
    expect(await probe.lagSeconds()).toBeGreaterThan(0);
    relay({ retentionMs: 24 * 3_600_000 });
    await eventually("the old row pruned", async () => {
      const { rows } = await db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox");
      return rows[0]?.n === 3;
    });
    await eventually("all published", async () => (await unpublishedCount(db.pool)) === 0);
    expect(await probe.lagSeconds()).toBe(0);
    expect(await outboxOrder()).toEqual(committed);
  });
});

import { Redis } from "ioredis";
import { eventually } from "../testing/eventually";
import { createEventConsumer } from "./event-consumer";
import { eventStream } from "./event-envelope";
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
import { type PrivateRedis, startPrivateRedis } from "./testing/private-redis";

const SERVICE = "product-service";
const STREAM = eventStream("order-service");
const captured = captureLogger(SERVICE);
const { logger } = captured;

let db: EventsDatabase;
let redis: PrivateRedis;

beforeAll(async () => {
  [db, redis] = await Promise.all([createEventsDatabase(logger), startPrivateRedis()]);
});
afterAll(async () => {
  await redis.kill();
  await db.drop();
});

// The private server keeps nothing across a kill (no RDB, no AOF): entries published
// and not yet consumed would be lost with it, which is why production Redis runs with
// AOF. So the outage here happens before the events are published: Redis goes down,
// services keep writing, Redis comes back, and the relay catches up.
it("delivers every event exactly once in effect across a Redis outage", async () => {
  const bus = createRedisEventBus({
    // Reconnect quickly, so the test does not wait out ioredis' default backoff.
    redis: () =>
      new Redis({
        host: "127.0.0.1",
        port: redis.port,
        maxRetriesPerRequest: 1,
        retryStrategy: () => 50,
      }),
    logger,
    retry: { initialMs: 20, maxMs: 200 },
  });
  const relay = createOutboxRelay({
    pool: db.pool,
    bus,
    logger,
    pollMs: 50,
    retry: { initialMs: 20, maxMs: 200 },
  });
  const consumer = createEventConsumer({
    pool: db.pool,
    bus,
    service: SERVICE,
    consumerName: "c1",
    streams: [STREAM],
    handlers: { [ORDER_CREATED]: countEffect },
    logger,
    blockMs: 50,
    claimIdleMs: 300,
  });
  try {
    await consumer.ready;
    relay.start();
    const before = await writeOrderEvents(db.pool, 10);
    await eventually(
      "the first events applied",
      async () => (await readEffects(db.pool)).size === 10,
    );

    await redis.kill();
    const during = await writeOrderEvents(db.pool, 15, { rollbackEvery: 5 });
    await eventually(
      "the relay to find Redis down",
      () => captured.matching(/publishing an outbox event failed/).length > 0,
    );
    const stillWriting = await writeOrderEvents(db.pool, 5);
    expect(await unpublishedCount(db.pool)).toBe(during.committed.length + 5);

    await redis.restart();
    const after = await writeOrderEvents(db.pool, 5);
    const all = [
      ...before.committed,
      ...during.committed,
      ...stillWriting.committed,
      ...after.committed,
    ];
    await eventually(
      "every event applied",
      async () => (await readEffects(db.pool)).size >= all.length,
    );
    await eventually("the group drained", async () => (await bus.pending(STREAM, SERVICE)) === 0);
    const effects = await readEffects(db.pool);
    expect([...effects.keys()].sort()).toEqual([...all].sort());
    expect([...effects.values()].every((n) => n === 1)).toBe(true);
    expect(await unpublishedCount(db.pool)).toBe(0);
    expect(captured.matching(/publishing outbox events resumed/).length).toBeGreaterThan(0);
  } finally {
    await relay.stop();
    await consumer.close();
    await bus.close();
  }
});

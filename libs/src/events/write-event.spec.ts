import { EventEnvelope, UserDeleted } from "@shop/gen/ts/shop/events/v1/events";
import type { Notification } from "pg";
import { withTransaction } from "../db/transaction";
import { Code, ServiceError } from "../errors";
import { eventually } from "../testing/eventually";
import { packEvent, TYPE_URL_PREFIX } from "./event-envelope";
import { captureLogger } from "./testing/capture-logger";
import { createEventsDatabase, type EventsDatabase } from "./testing/events-database";
import { outboxInsert, writeEvent, writeEvents } from "./write-event";

const { logger } = captureLogger("user-service");
let db: EventsDatabase;

beforeAll(async () => {
  db = await createEventsDatabase(logger);
});
afterAll(() => db.drop());

const userDeleted = (userId: string) =>
  packEvent(UserDeleted, "shop.events.v1.UserDeleted", {
    userId,
    deleteTime: new Date("2030-01-02T03:04:05Z"),
  });

describe("writeEvent", () => {
  it("stores a complete envelope for the producer's stream, and notifies the relay on commit only", async () => {
    const listener = await db.pool.connect();
    const notifications: string[] = [];
    listener.on("notification", (n: Notification) =>
      notifications.push(`${n.channel}:${n.payload}`),
    );
    await listener.query("LISTEN outbox");
    try {
      const before = Date.now();
      const id = await withTransaction(db.pool, (client) =>
        writeEvent(client, { producer: "user-service", aggregateId: "u-1", ...userDeleted("u-1") }),
      );
      await withTransaction(db.pool, async (client) => {
        await writeEvent(client, {
          producer: "user-service",
          aggregateId: "u-2",
          ...userDeleted("u-2"),
        });
        throw new Error("roll back");
      }).catch(() => undefined);

      const { rows } = await db.pool.query(
        "SELECT event_id, stream, type, envelope, published_at FROM outbox ORDER BY id",
      );
      expect(rows).toHaveLength(1);
      const row = rows[0]!;
      expect(row).toMatchObject({
        event_id: id,
        stream: "events.user-service",
        type: "shop.events.v1.UserDeleted",
        published_at: null,
      });
      const envelope = EventEnvelope.decode(row.envelope);
      expect(envelope).toMatchObject({
        id,
        type: "shop.events.v1.UserDeleted",
        producer: "user-service",
        aggregateId: "u-1",
      });
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(envelope.occurredAt!.getTime()).toBeGreaterThanOrEqual(before - 1);
      expect(envelope.payload?.typeUrl).toBe(`${TYPE_URL_PREFIX}shop.events.v1.UserDeleted`);
      expect(UserDeleted.decode(envelope.payload!.value)).toEqual({
        userId: "u-1",
        deleteTime: new Date("2030-01-02T03:04:05Z"),
      });
      // No active span outside the SDK: the trace context is empty, not invented.
      expect(envelope.trace).toEqual({ traceparent: "", tracestate: "" });
      await eventually("the commit's notification", () => notifications.length >= 1);
      expect(notifications).toEqual(["outbox:events.user-service"]);
    } finally {
      listener.release(true);
    }
  });

  it("rejects a type that is not a full message name, and an empty aggregate id", async () => {
    const client = await db.pool.connect();
    try {
      const bad = writeEvent(client, {
        producer: "user-service",
        aggregateId: "u",
        type: "UserDeleted",
        payload: new Uint8Array(),
      });
      await expect(bad).rejects.toThrow(ServiceError);
      await expect(bad).rejects.toMatchObject({
        code: Code.INVALID_ARGUMENT,
        fieldViolations: [{ field: "type" }],
      });
      const empty = writeEvent(client, {
        producer: "user-service",
        aggregateId: "",
        ...userDeleted("u"),
      });
      await expect(empty).rejects.toMatchObject({
        code: Code.INVALID_ARGUMENT,
        fieldViolations: [{ field: "aggregateId" }],
      });
    } finally {
      client.release();
    }
    const { rows } = await db.pool.query(
      "SELECT count(*)::int AS n FROM outbox WHERE type <> 'shop.events.v1.UserDeleted'",
    );
    expect(rows[0]).toEqual({ n: 0 });
  });
});

describe("writeEvents and outboxInsert", () => {
  const event = (userId: string) => ({
    producer: "user-service" as const,
    aggregateId: userId,
    ...userDeleted(userId),
  });
  const aggregates = async (ids: readonly string[]) => {
    const { rows } = await db.pool.query<{ envelope: Buffer }>(
      "SELECT envelope FROM outbox WHERE event_id = ANY($1::uuid[]) ORDER BY id",
      [ids],
    );
    return rows.map((r) => EventEnvelope.decode(r.envelope).aggregateId);
  };

  it("inserts many events in one statement, in the order given, and rolls back with the transaction", async () => {
    const ids = await withTransaction(db.pool, (client) =>
      writeEvents(client, ["m-3", "m-1", "m-2"].map(event)),
    );
    expect(new Set(ids).size).toBe(3);
    expect(await aggregates(ids)).toEqual(["m-3", "m-1", "m-2"]);
    expect(await withTransaction(db.pool, (client) => writeEvents(client, []))).toEqual([]);

    let lost: string[] = [];
    await withTransaction(db.pool, async (client) => {
      lost = await writeEvents(client, [event("r-1"), event("r-2")]);
      throw new Error("roll back");
    }).catch(() => undefined);
    expect(lost).toHaveLength(2);
    expect(await aggregates(lost)).toEqual([]);
  });

  it("is a CTE of a caller's statement: the write and its events commit as one", async () => {
    await db.pool.query("CREATE TABLE IF NOT EXISTS cte_things (id text PRIMARY KEY)");
    const insert = outboxInsert([event("c-1"), event("c-2")], 2);
    const { rows } = await db.pool.query<{ id: string }>(
      `WITH thing AS (INSERT INTO cte_things (id) VALUES ($1) RETURNING id),
            events AS (${insert.sql})
       SELECT id FROM thing`,
      ["thing-1", ...insert.values],
    );
    expect(rows).toEqual([{ id: "thing-1" }]);
    expect(await aggregates(insert.eventIds)).toEqual(["c-1", "c-2"]);

    // A failing write takes its events with it: one statement, one outcome.
    const again = outboxInsert([event("c-3")], 2);
    await expect(
      db.pool.query(
        `WITH thing AS (INSERT INTO cte_things (id) VALUES ($1) RETURNING id),
              events AS (${again.sql})
         SELECT id FROM thing`,
        ["thing-1", ...again.values],
      ),
    ).rejects.toThrow(/duplicate key/);
    expect(await aggregates(again.eventIds)).toEqual([]);

    // onlyIf: events follow a guarded write that matched nothing into nothing.
    for (const [id, writes] of [
      ["thing-1", 0],
      ["thing-2", 1],
    ] as const) {
      const guarded = outboxInsert([event(`g-${id}`)], 2, {
        onlyIf: "EXISTS (SELECT 1 FROM thing)",
      });
      await db.pool.query(
        `WITH thing AS (INSERT INTO cte_things (id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING id),
              events AS (${guarded.sql})
         SELECT id FROM thing`,
        [id, ...guarded.values],
      );
      expect(await aggregates(guarded.eventIds)).toHaveLength(writes);
    }
  });

  it("checks every event before writing any", async () => {
    expect(() => outboxInsert([event("ok"), { ...event("bad"), aggregateId: "" }])).toThrow(
      /aggregateId/,
    );
  });
});

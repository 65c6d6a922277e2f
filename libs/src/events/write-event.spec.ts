import { EventEnvelope, UserDeleted } from "@shop/gen/ts/shop/events/v1/events";
import type { Notification } from "pg";
import { withTransaction } from "../db/transaction";
import { Code, ServiceError } from "../errors";
import { eventually } from "../testing/eventually";
import { packEvent, TYPE_URL_PREFIX } from "./event-envelope";
import { captureLogger } from "./testing/capture-logger";
import { createEventsDatabase, type EventsDatabase } from "./testing/events-database";
import { writeEvent } from "./write-event";

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

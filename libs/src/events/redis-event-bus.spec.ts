import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { createLogger } from "../logging";
import { eventually } from "../testing/eventually";
import { createRedisEventBus } from "./redis-event-bus";
import { describeEventBusContract } from "./testing/event-bus-contract";

const REDIS = { host: "127.0.0.1", port: 6379 };
const logger = createLogger({ service: "order-service", level: "silent" });
const prefix = `test:events:${randomBytes(4).toString("hex")}:`;
const admin = new Redis(REDIS);

afterAll(async () => {
  const keys = await admin.keys(`${prefix}*`);
  if (keys.length > 0) await admin.del(...keys);
  admin.disconnect();
});

describeEventBusContract("redis bus", async () => ({
  bus: createRedisEventBus({ redis: REDIS, logger, keyPrefix: prefix }),
  cleanup: async (streams) => {
    if (streams.length > 0) await admin.del(...streams.map((s) => prefix + s));
  },
}));

describe("createRedisEventBus", () => {
  it("writes one field `envelope` per entry under the prefixed key, trimming to about maxLen", async () => {
    const bus = createRedisEventBus({
      redis: () => new Redis(REDIS),
      logger,
      keyPrefix: prefix,
      maxLen: 10,
    });
    const stream = `trim.${randomBytes(4).toString("hex")}`;
    for (let i = 0; i < 400; i++) await bus.publish(stream, new Uint8Array([1, 2, i % 256]));
    await bus.close();
    const length = await admin.xlen(prefix + stream);
    // MAXLEN ~ trims whole radix-tree nodes (100 entries by default), never below maxLen.
    expect(length).toBeGreaterThanOrEqual(10);
    expect(length).toBeLessThan(400);
    const [last] = await admin.xrevrangeBuffer(prefix + stream, "+", "-", "COUNT", 1);
    expect(last?.[1].map((b, i) => (i % 2 === 0 ? b.toString() : [...b]))).toEqual([
      "envelope",
      [1, 2, 399 % 256],
    ]);
  });

  it("creates the group again when the stream vanished (Redis restarted without data)", async () => {
    const bus = createRedisEventBus({ redis: REDIS, logger, keyPrefix: prefix });
    const stream = `vanish.${randomBytes(4).toString("hex")}`;
    const seen: string[] = [];
    const sub = bus.consume({
      stream,
      group: "g",
      consumer: "c",
      blockMs: 20,
      claimIdleMs: 100,
      handler: async (e) => void seen.push(Buffer.from(e.envelope).toString()),
    });
    await sub.ready;
    await bus.publish(stream, Buffer.from("before"));
    await eventually("the first entry", () => seen.length === 1);
    await admin.del(prefix + stream);
    // Published until the recreated group sees one: entries added while the stream had
    // no group are read by it too, since it is created at the stream's start.
    await eventually("an entry after the stream was deleted", async () => {
      if (seen.length < 2) await bus.publish(stream, Buffer.from("after"));
      return seen.length >= 2;
    });
    await bus.close();
    expect(seen[0]).toBe("before");
    expect(seen.slice(1).every((s) => s === "after")).toBe(true);
  });

  it("acknowledges entries without an envelope field instead of redelivering them", async () => {
    const bus = createRedisEventBus({ redis: REDIS, logger, keyPrefix: prefix });
    const stream = `foreign.${randomBytes(4).toString("hex")}`;
    await admin.xadd(prefix + stream, "*", "other", "x");
    await bus.publish(stream, Buffer.from("ok"));
    const seen: string[] = [];
    const sub = bus.consume({
      stream,
      group: "g",
      consumer: "c",
      blockMs: 20,
      handler: async (e) => void seen.push(Buffer.from(e.envelope).toString()),
    });
    await eventually("the valid entry", () => seen.length === 1);
    await sub.close();
    expect(seen).toEqual(["ok"]);
    expect(await bus.pending(stream, "g")).toBe(0);
    expect(await bus.pending(`${stream}.none`, "g")).toBe(0);
    await bus.close();
  });
});

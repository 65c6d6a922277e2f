import { Writable } from "node:stream";
import { Code, ServiceError } from "../errors";
import { createLogger, type LoggerConfig } from "./logger";

/** A logger writing into memory, and its lines parsed back. */
function capture(config: Partial<LoggerConfig> = {}) {
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      raw.push(String(chunk));
      callback();
    },
  });
  const log = createLogger({ service: "order-service", destination, ...config });
  return {
    log,
    raw,
    lines: () => raw.map((line) => JSON.parse(line) as Record<string, unknown>),
    last: () => JSON.parse(raw.at(-1)!) as Record<string, unknown>,
  };
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe("createLogger: line shape", () => {
  it("writes one JSON line led by timestamp, service, level, message, then the fields", () => {
    const { log, raw, last } = capture();
    log.info({ orderId: "o-1", total: 1250 }, "Order created");
    expect(raw).toHaveLength(1);
    expect(raw[0]!.endsWith("}\n")).toBe(true);
    expect(raw[0]!.split("\n")).toHaveLength(2);
    const line = last();
    expect(Object.keys(line)).toEqual([
      "timestamp",
      "service",
      "level",
      "message",
      "orderId",
      "total",
    ]);
    expect(line).toEqual({
      timestamp: expect.stringMatching(ISO),
      service: "order-service",
      level: "info",
      message: "Order created",
      orderId: "o-1",
      total: 1250,
    });
    expect(Math.abs(Date.parse(line.timestamp as string) - Date.now())).toBeLessThan(60_000);
  });

  it("writes the level as its label and honours the configured level", () => {
    const { log, lines } = capture({ level: "warn" });
    log.info("dropped");
    log.warn("kept");
    log.error("kept too");
    log.fatal("last");
    expect(lines().map((l) => l.level)).toEqual(["warn", "error", "fatal"]);
  });

  it("writes a line with no message when given only fields", () => {
    const { log, last } = capture();
    log.info({ cacheHits: 3 });
    expect(Object.keys(last())).toEqual(["timestamp", "service", "level", "cacheHits"]);
  });

  it("places child bindings after the leading keys, and call fields win over them", () => {
    const { log, last } = capture();
    const child = log.child({ rpc: "/shop.order.v1.OrderService/GetOrder", orderId: "o-1" });
    child.child({ attempt: 2 }).warn({ orderId: "o-2", extra: true }, "Retrying");
    const line = last();
    expect(Object.keys(line)).toEqual([
      "timestamp",
      "service",
      "level",
      "message",
      "rpc",
      "orderId",
      "attempt",
      "extra",
    ]);
    expect(line).toMatchObject({ level: "warn", orderId: "o-2", attempt: 2 });
    expect(child.bindings()).toEqual({
      service: "order-service",
      rpc: "/shop.order.v1.OrderService/GetOrder",
      orderId: "o-1",
    });
  });

  it("keeps pino's child options and setBindings", () => {
    const { log, lines } = capture();
    const quiet = log.child({ component: "relay" }, { level: "error" });
    quiet.info("dropped");
    quiet.setBindings({ batch: 7 });
    quiet.error("Publish failed");
    expect(lines()).toEqual([
      expect.objectContaining({ message: "Publish failed", component: "relay", batch: 7 }),
    ]);
    expect(log.bindings()).toEqual({ service: "order-service" });
  });

  it("keeps timestamp, service and level its own when fields or bindings use those names", () => {
    const { log, raw, last } = capture();
    log.child({ service: "spoofed" }).info({ level: "low", timestamp: "yesterday" }, "Stock level");
    const line = last();
    expect(line).toMatchObject({ service: "order-service", level: "info", message: "Stock level" });
    expect(line.timestamp).toMatch(ISO);
    expect(raw[0]!.match(/"(service|level|timestamp)":/g)).toHaveLength(3);
  });

  it("formats printf-style messages: %s, %d, %j and %%", () => {
    const { log, lines } = capture();
    log.info("user %s bought %d items (%j) at 100%%", "u-1", 3, { sku: "A-1" });
    log.info({ orderId: "o-1" }, "state %s -> %s", "PENDING", "CONFIRMED");
    log.info("missing %s and %d");
    expect(lines().map((l) => l.message)).toEqual([
      'user u-1 bought 3 items ({"sku":"A-1"}) at 100%',
      "state PENDING -> CONFIRMED",
      "missing %s and %d",
    ]);
  });

  it("logs errors with type, message and stack, with or without a message", () => {
    const { log, lines } = capture();
    const error = new ServiceError(Code.NOT_FOUND, "order o-9 not found");
    log.error(error, "GetOrder failed");
    log.error(error);
    log.error({ err: new Error("socket closed"), orderId: "o-9" }, "relay stopped");
    const [withMessage, alone, inFields] = lines();
    expect(withMessage).toMatchObject({
      level: "error",
      message: "GetOrder failed",
      err: {
        type: "ServiceError",
        message: "order o-9 not found",
        stack: expect.stringContaining("ServiceError: order o-9 not found"),
        code: Code.NOT_FOUND,
      },
    });
    expect(alone).toMatchObject({ message: "order o-9 not found", err: { type: "ServiceError" } });
    expect(inFields).toMatchObject({
      message: "relay stopped",
      orderId: "o-9",
      err: { type: "Error", message: "socket closed" },
    });
  });
});

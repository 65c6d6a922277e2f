import { setTimeout as sleep } from "node:timers/promises";
import { Code, ServiceError } from "../errors";
import { createLogger } from "../logging";
import { closeRedis, createRedis, type Redis, redisIsUp, whenRedisReady } from "./create-redis";
import { type PrivateRedisServer, startPrivateRedisServer } from "./private-redis-server";
import { createRedisAttemptThrottle } from "./redis-attempt-throttle";
import { createRedisCache } from "./redis-cache";
import { createRedisRateLimiter } from "./redis-rate-limiter";

// Redis is cut for real: a redis-server of this test's own is killed and started again.
let server: PrivateRedisServer;
let redis: Redis;
const lines: { message: string; level: string }[] = [];
const logger = createLogger({
  service: "outage-test",
  destination: { write: (line: string) => lines.push(JSON.parse(line)) },
});
const logged = (message: string) => lines.filter((l) => l.message === message).length;

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await sleep(10);
  expect(condition()).toBe(true);
}

beforeAll(async () => {
  server = await startPrivateRedisServer();
  redis = createRedis({ url: server.url, name: "outage", logger, commandTimeoutMs: 1_000 });
  expect(await whenRedisReady(redis, 5_000)).toBe(true);
});

afterAll(async () => {
  await closeRedis(redis);
  await server.stop();
});

it("degrades while Redis is down and recovers when it is back", async () => {
  const errors: unknown[] = [];
  const cache = createRedisCache({
    redis,
    prefix: "c:",
    logger,
    onError: (e) => errors.push(e),
  });
  const limiter = createRedisRateLimiter({ redis, prefix: "r:" });
  const throttle = createRedisAttemptThrottle({
    redis,
    prefix: "t:",
    maxFailures: 3,
    windowMs: 60_000,
    lockoutMs: 60_000,
  });
  const rule = { limit: 10, windowMs: 60_000 };

  await cache.set("product", { price: 100n }, 60_000);
  expect(await cache.get("product")).toEqual({ price: 100n });
  expect((await limiter.consume("ip", rule)).allowed).toBe(true);

  await server.stop();
  await until(() => !redisIsUp(redis));

  // The cache misses and drops writes without throwing; loads still answer.
  expect(await cache.get("product")).toBeUndefined();
  await expect(cache.set("product", { price: 200n }, 60_000)).resolves.toBeUndefined();
  await expect(cache.invalidate("product")).resolves.toBeUndefined();
  expect(await cache.getOrLoad("product", 60_000, async () => ({ price: 300n }))).toEqual({
    price: 300n,
  });
  expect(errors.length).toBeGreaterThanOrEqual(4);

  // The limiter and the throttle say so, and leave the decision to the caller.
  const limited = await limiter.consume("ip", rule).catch((e) => e);
  expect(limited).toBeInstanceOf(ServiceError);
  expect(limited.code).toBe(Code.UNAVAILABLE);
  await expect(throttle.check("alice")).rejects.toMatchObject({ code: Code.UNAVAILABLE });
  await expect(throttle.recordFailure("alice")).rejects.toMatchObject({
    code: Code.UNAVAILABLE,
  });
  await expect(throttle.reset("alice")).rejects.toMatchObject({ code: Code.UNAVAILABLE });
  await expect(throttle.reserve("alice")).rejects.toMatchObject({ code: Code.UNAVAILABLE });
  await expect(throttle.release("alice")).rejects.toMatchObject({ code: Code.UNAVAILABLE });

  // Let several reconnect attempts fail: the outage is still logged once.
  await sleep(400);
  expect(logged("redis connection lost, reconnecting in the background")).toBe(1);
  expect(logged("redis unavailable, reconnecting in the background")).toBe(0);
  expect(logged("cache unavailable: reads miss and writes are dropped")).toBe(1);

  await server.start();
  expect(await whenRedisReady(redis, 5_000)).toBe(true);
  expect(logged("redis reconnected")).toBe(1);

  // The server came back empty (no persistence): the scripts load again on first use.
  expect(await cache.get("product")).toBeUndefined();
  expect(logged("cache available again")).toBe(1);
  expect(await cache.getOrLoad("product", 60_000, async () => ({ price: 400n }))).toEqual({
    price: 400n,
  });
  expect(await cache.get("product")).toEqual({ price: 400n });
  expect(await limiter.consume("ip", rule)).toMatchObject({ allowed: true, remaining: 9 });
  expect(await throttle.recordFailure("alice")).toEqual({ blocked: false, retryAfterMs: 0 });
});

it("reports a server that never answered: not ready, logged once, closes cleanly", async () => {
  const before = logged("redis unavailable, reconnecting in the background");
  const down = await startPrivateRedisServer();
  await down.stop();
  const client = createRedis({ url: down.url, name: "never-up", logger });
  try {
    expect(await whenRedisReady(client, 300)).toBe(false);
    expect(redisIsUp(client)).toBe(false);
    expect(logged("redis unavailable, reconnecting in the background")).toBe(before + 1);
  } finally {
    await closeRedis(client);
  }
  // Closed means no more reconnect attempts (the next one was due within 400 ms).
  let attempts = 0;
  client.on("reconnecting", () => attempts++);
  await sleep(500);
  expect(attempts).toBe(0);
  await expect(closeRedis(client)).resolves.toBeUndefined();
});

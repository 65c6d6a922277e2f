import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Code } from "../errors";
import { createLogger } from "../logging";
import { closeRedis, createRedis, type Redis, whenRedisReady } from "./create-redis";
import { deleteKeysWithPrefix } from "./delete-keys";
import { createMemoryRateLimiter } from "./memory-rate-limiter";
import type { RateLimiter } from "./rate-limiter";
import { createRedisRateLimiter } from "./redis-rate-limiter";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const PREFIX = `test:rate:${randomBytes(6).toString("hex")}:`;
const logger = createLogger({ service: "rate-limiter-test", level: "silent" });

let redis: Redis;
let instance = 0;

beforeAll(async () => {
  redis = createRedis({ url: REDIS_URL, name: "rate-limiter-test", logger });
  expect(await whenRedisReady(redis, 5_000)).toBe(true);
});

afterAll(async () => {
  await deleteKeysWithPrefix(redis, PREFIX);
  await closeRedis(redis);
});

// A minute-long window: nothing refills noticeably while a test runs.
const PER_MINUTE = { limit: 5, windowMs: 60_000 };

describe.each<[string, () => RateLimiter]>([
  ["redis", () => createRedisRateLimiter({ redis, prefix: `${PREFIX}${instance++}:` })],
  ["memory", () => createMemoryRateLimiter({ prefix: "test:" })],
])("%s rate limiter", (_name, createLimiter) => {
  let limiter: RateLimiter;
  beforeEach(() => {
    limiter = createLimiter();
  });

  it("allows exactly `limit` requests, then denies with a retry-after", async () => {
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await limiter.consume("client", PER_MINUTE));
    expect(results.map((r) => [r.allowed, r.remaining, r.retryAfterMs])).toEqual([
      [true, 4, 0],
      [true, 3, 0],
      [true, 2, 0],
      [true, 1, 0],
      [true, 0, 0],
    ]);
    expect(results.every((r) => r.limit === 5)).toBe(true);
    const denied = await limiter.consume("client", PER_MINUTE);
    expect(denied).toMatchObject({ allowed: false, limit: 5, remaining: 0 });
    // One unit comes back every windowMs / limit = 12 s; all of them within the window.
    expect(denied.retryAfterMs).toBeGreaterThan(0);
    expect(denied.retryAfterMs).toBeLessThanOrEqual(12_000);
    expect(denied.resetMs).toBeGreaterThan(denied.retryAfterMs);
    expect(denied.resetMs).toBeLessThanOrEqual(60_000);
    expect((await limiter.consume("client", PER_MINUTE)).allowed).toBe(false);
  });

  it("serves a limit finer than a millisecond per call (a raised benchmark limit)", async () => {
    for (let i = 0; i < 3; i++) {
      const result = await limiter.consume("fine", { limit: 1_000_000_000, windowMs: 60_000 });
      expect(result.allowed).toBe(true);
    }
  });

  it("counts each key on its own", async () => {
    for (let i = 0; i < 5; i++) await limiter.consume("a", PER_MINUTE);
    expect((await limiter.consume("a", PER_MINUTE)).allowed).toBe(false);
    expect(await limiter.consume("b", PER_MINUTE)).toMatchObject({ allowed: true, remaining: 4 });
  });

  it("charges the cost, and a denied request consumes nothing", async () => {
    const rule = (cost: number) => ({ ...PER_MINUTE, cost });
    expect(await limiter.consume("c", rule(3))).toMatchObject({ allowed: true, remaining: 2 });
    expect(await limiter.consume("c", rule(3))).toMatchObject({ allowed: false, remaining: 2 });
    expect(await limiter.consume("c", rule(2))).toMatchObject({ allowed: true, remaining: 0 });
    expect((await limiter.consume("c", rule(1))).allowed).toBe(false);
  });

  it("gives the full limit back once the window has passed", async () => {
    // 300 ms window, so the four calls below fit well inside one refill step (100 ms).
    const rule = { limit: 3, windowMs: 300 };
    const burst = async () => {
      const allowed = [];
      for (let i = 0; i < 4; i++) allowed.push((await limiter.consume("w", rule)).allowed);
      return allowed;
    };
    expect(await burst()).toEqual([true, true, true, false]);
    await sleep(400);
    expect(await burst()).toEqual([true, true, true, false]);
  });

  it("allows exactly `limit` when the window does not divide evenly (3 per second)", async () => {
    const rule = { limit: 3, windowMs: 1_000 };
    const allowed = [];
    for (let i = 0; i < 4; i++) allowed.push((await limiter.consume("thirds", rule)).allowed);
    expect(allowed).toEqual([true, true, true, false]);
  });

  it("allows one more once retryAfterMs has passed, not the whole burst", async () => {
    const rule = { limit: 3, windowMs: 600 };
    for (let i = 0; i < 3; i++) await limiter.consume("r", rule);
    const denied = await limiter.consume("r", rule);
    expect(denied.allowed).toBe(false);
    await sleep(denied.retryAfterMs + 20);
    expect((await limiter.consume("r", rule)).allowed).toBe(true);
    expect((await limiter.consume("r", rule)).allowed).toBe(false);
  });

  it("rejects a rule that can never be met, naming the field", async () => {
    await expect(limiter.consume("x", { limit: 0, windowMs: 1_000 })).rejects.toMatchObject({
      code: Code.INVALID_ARGUMENT,
      fieldViolations: [{ field: "limit", description: "must be a positive integer" }],
    });
    await expect(
      limiter.consume("x", { limit: 2, windowMs: 1_000, cost: 3 }),
    ).rejects.toMatchObject({ fieldViolations: [expect.objectContaining({ field: "cost" })] });
    await expect(limiter.consume("x", { limit: 2, windowMs: -1 })).rejects.toMatchObject({
      fieldViolations: [expect.objectContaining({ field: "windowMs" })],
    });
  });
});

describe("redis rate limiter", () => {
  it("shares one budget between replicas, also when they race", async () => {
    const prefix = `${PREFIX}shared:`;
    const replicas = [1, 2, 3].map(() => createRedisRateLimiter({ redis, prefix }));
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => replicas[i % 3]!.consume("user", PER_MINUTE)),
    );
    expect(results.filter((r) => r.allowed)).toHaveLength(5);
  });
});

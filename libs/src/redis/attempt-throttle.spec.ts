import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Code } from "../errors";
import { createLogger } from "../logging";
import {
  type AttemptThrottle,
  type AttemptThrottleRules,
  IN_FLIGHT_RETRY_MS,
} from "./attempt-throttle";
import { closeRedis, createRedis, type Redis, whenRedisReady } from "./create-redis";
import { deleteKeysWithPrefix } from "./delete-keys";
import { createMemoryAttemptThrottle } from "./memory-attempt-throttle";
import { createRedisAttemptThrottle } from "./redis-attempt-throttle";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const PREFIX = `test:throttle:${randomBytes(6).toString("hex")}:`;
const logger = createLogger({ service: "attempt-throttle-test", level: "silent" });

let redis: Redis;
let instance = 0;

beforeAll(async () => {
  redis = createRedis({ url: REDIS_URL, name: "attempt-throttle-test", logger });
  expect(await whenRedisReady(redis, 5_000)).toBe(true);
});

afterAll(async () => {
  await deleteKeysWithPrefix(redis, PREFIX);
  await closeRedis(redis);
});

const LONG = { maxFailures: 3, windowMs: 60_000, lockoutMs: 60_000 };
const open = { blocked: false, retryAfterMs: 0 };

describe.each<[string, (rules: AttemptThrottleRules) => AttemptThrottle]>([
  [
    "redis",
    (rules) => createRedisAttemptThrottle({ redis, prefix: `${PREFIX}${instance++}:`, ...rules }),
  ],
  ["memory", (rules) => createMemoryAttemptThrottle({ prefix: "test:", ...rules })],
])("%s attempt throttle", (_name, createThrottle) => {
  it("blocks a key after maxFailures failures in the window, and only that key", async () => {
    const throttle = createThrottle(LONG);
    expect(await throttle.check("alice")).toEqual(open);
    expect(await throttle.recordFailure("alice")).toEqual(open);
    expect(await throttle.recordFailure("alice")).toEqual(open);
    const blocked = await throttle.recordFailure("alice");
    expect(blocked.blocked).toBe(true);
    expect(blocked.retryAfterMs).toBe(60_000);
    const checked = await throttle.check("alice");
    expect(checked.blocked).toBe(true);
    expect(checked.retryAfterMs).toBeGreaterThan(0);
    expect(checked.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(await throttle.check("bob")).toEqual(open);
  });

  it("neither counts nor extends the lockout for failures while blocked", async () => {
    const throttle = createThrottle({ maxFailures: 1, windowMs: 60_000, lockoutMs: 60_000 });
    const first = await throttle.recordFailure("k");
    await sleep(20);
    const again = await throttle.recordFailure("k");
    expect(again.blocked).toBe(true);
    expect(again.retryAfterMs).toBeLessThan(first.retryAfterMs);
  });

  it("reset clears both the failures and the lockout", async () => {
    const throttle = createThrottle(LONG);
    for (let i = 0; i < 3; i++) await throttle.recordFailure("carol");
    await throttle.reset("carol");
    expect(await throttle.check("carol")).toEqual(open);
    // The count starts afresh too: two failures do not block.
    await throttle.recordFailure("carol");
    expect(await throttle.recordFailure("carol")).toEqual(open);
    await throttle.recordFailure("dave");
    await throttle.recordFailure("dave");
    await throttle.reset("dave");
    expect(await throttle.recordFailure("dave")).toEqual(open);
  });

  it("lets the key in again when the lockout ends, with a fresh count", async () => {
    const throttle = createThrottle({ maxFailures: 2, windowMs: 60_000, lockoutMs: 100 });
    await throttle.recordFailure("erin");
    expect((await throttle.recordFailure("erin")).blocked).toBe(true);
    await sleep(150);
    expect(await throttle.check("erin")).toEqual(open);
    expect(await throttle.recordFailure("erin")).toEqual(open);
  });

  it("does not add up failures further apart than the window", async () => {
    const throttle = createThrottle({ maxFailures: 2, windowMs: 100, lockoutMs: 60_000 });
    await throttle.recordFailure("frank");
    await sleep(150);
    expect(await throttle.recordFailure("frank")).toEqual(open);
  });

  it("counts places in flight toward the limit, so racing attempts cannot all pass", async () => {
    const throttle = createThrottle(LONG);
    for (let i = 0; i < 3; i++) expect(await throttle.reserve("gina")).toEqual(open);
    expect(await throttle.reserve("gina")).toEqual({
      blocked: true,
      retryAfterMs: IN_FLIGHT_RETRY_MS,
    });
    expect(await throttle.check("gina")).toEqual(open); // busy, not locked out
    // A released place is free again, and counted no failure.
    await throttle.release("gina");
    expect(await throttle.reserve("gina")).toEqual(open);
    // Three failures settle the three places and lock the key.
    expect(await throttle.recordFailure("gina")).toEqual(open);
    expect(await throttle.recordFailure("gina")).toEqual(open);
    expect((await throttle.recordFailure("gina")).blocked).toBe(true);
    const locked = await throttle.reserve("gina");
    expect(locked.blocked).toBe(true);
    expect(locked.retryAfterMs).toBeGreaterThan(IN_FLIGHT_RETRY_MS);
  });

  it("lets attempts that succeed come and go without ever blocking", async () => {
    const throttle = createThrottle(LONG);
    for (let i = 0; i < 10; i++) {
      expect(await throttle.reserve("hank")).toEqual(open);
      await throttle.release("hank");
    }
    // Releasing more than was reserved frees nothing that does not exist.
    await throttle.release("hank");
    for (let i = 0; i < 3; i++) expect(await throttle.reserve("hank")).toEqual(open);
    expect((await throttle.reserve("hank")).blocked).toBe(true);
  });

  it("counts failures and places together", async () => {
    const throttle = createThrottle(LONG);
    await throttle.recordFailure("ivy");
    await throttle.recordFailure("ivy");
    expect(await throttle.reserve("ivy")).toEqual(open);
    expect((await throttle.reserve("ivy")).blocked).toBe(true);
    // reset forgets the failures, not the place still in flight.
    await throttle.reset("ivy");
    expect(await throttle.reserve("ivy")).toEqual(open);
    expect(await throttle.reserve("ivy")).toEqual(open);
    expect((await throttle.reserve("ivy")).blocked).toBe(true);
  });

  it("frees a place its holder never settled once placeTtlMs has passed", async () => {
    const throttle = createThrottle({ ...LONG, maxFailures: 1, placeTtlMs: 100 });
    expect(await throttle.reserve("jack")).toEqual(open);
    expect((await throttle.reserve("jack")).blocked).toBe(true);
    await sleep(150);
    expect(await throttle.reserve("jack")).toEqual(open);
  });

  it("rejects rules that cannot work, naming the field", () => {
    expect(() => createThrottle({ maxFailures: 0, windowMs: 1, lockoutMs: 1.5 })).toThrow(
      expect.objectContaining({
        code: Code.INVALID_ARGUMENT,
        fieldViolations: [
          { field: "maxFailures", description: "must be a positive integer" },
          { field: "lockoutMs", description: "must be a positive integer" },
        ],
      }),
    );
  });
});

describe("redis attempt throttle", () => {
  it("counts failures from all replicas together, also when they race", async () => {
    const prefix = `${PREFIX}shared:`;
    const replicas = [1, 2].map(() => createRedisAttemptThrottle({ redis, prefix, ...LONG }));
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => replicas[i % 2]!.recordFailure("mallory")),
    );
    // Exactly the third failure locks; the rest see the lockout.
    expect(results.filter((r) => !r.blocked)).toHaveLength(2);
    expect((await replicas[0]!.check("mallory")).blocked).toBe(true);
  });

  it("grants exactly maxFailures places to attempts racing from all replicas", async () => {
    const prefix = `${PREFIX}racing:`;
    const replicas = [1, 2].map(() => createRedisAttemptThrottle({ redis, prefix, ...LONG }));
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) => replicas[i % 2]!.reserve("oscar")),
    );
    expect(results.filter((r) => !r.blocked)).toHaveLength(3);
  });
});

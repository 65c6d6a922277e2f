import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Code } from "../errors";
import { createLogger } from "../logging";
import type { Cache } from "./cache";
import { closeRedis, createRedis, type Redis, whenRedisReady } from "./create-redis";
import { deleteKeysWithPrefix } from "./delete-keys";
import { createMemoryCache } from "./memory-cache";
import { createRedisCache } from "./redis-cache";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const PREFIX = `test:cache:${randomBytes(6).toString("hex")}:`;
const logger = createLogger({ service: "cache-test", level: "silent" });

let redis: Redis;
let instance = 0;

beforeAll(async () => {
  redis = createRedis({ url: REDIS_URL, name: "cache-test", logger });
  expect(await whenRedisReady(redis, 5_000)).toBe(true);
});

afterAll(async () => {
  await deleteKeysWithPrefix(redis, PREFIX);
  await closeRedis(redis);
});

/** A promise to settle by hand, and a loader that waits on it and counts its calls. */
function gatedLoader<T>(value: T) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let calls = 0;
  let started!: () => void;
  const running = new Promise<void>((resolve) => {
    started = resolve;
  });
  const loader = async () => {
    calls += 1;
    started();
    await gate;
    return value;
  };
  return { loader, release, running, calls: () => calls };
}

// The contract: both implementations must pass every test of this suite.
describe.each<[string, () => Cache]>([
  ["redis", () => createRedisCache({ redis, prefix: `${PREFIX}${instance++}:`, logger })],
  ["memory", () => createMemoryCache({ prefix: "test:" })],
])("%s cache", (_name, createCache) => {
  let cache: Cache;
  beforeEach(() => {
    cache = createCache();
  });

  it("returns what was set, and misses a key never set", async () => {
    await cache.set("a", { name: "lamp", tags: ["x"] }, 60_000);
    expect(await cache.get("a")).toEqual({ name: "lamp", tags: ["x"] });
    expect(await cache.get("never")).toBeUndefined();
  });

  it("forgets a value once its TTL has passed", async () => {
    await cache.set("short", "soon gone", 100);
    await cache.set("long", "stays", 60_000);
    expect(await cache.get("short")).toBe("soon gone");
    await sleep(200);
    expect(await cache.get("short")).toBeUndefined();
    expect(await cache.get("long")).toBe("stays");
  });

  it("invalidates the keys given, and only those", async () => {
    await Promise.all(["a", "b", "c"].map((k) => cache.set(k, k, 60_000)));
    await cache.invalidate("a", "b");
    expect([await cache.get("a"), await cache.get("b"), await cache.get("c")]).toEqual([
      undefined,
      undefined,
      "c",
    ]);
    await cache.invalidate();
    expect(await cache.get("c")).toBe("c");
  });

  it("calls the loader once for concurrent misses of a key, and stores its value", async () => {
    const { loader, release, calls } = gatedLoader({ id: 7 });
    const waiting = Array.from({ length: 10 }, () => cache.getOrLoad("p7", 60_000, loader));
    release();
    expect(await Promise.all(waiting)).toEqual(Array(10).fill({ id: 7 }));
    expect(calls()).toBe(1);
    expect(await cache.get("p7")).toEqual({ id: 7 });
    // A hit does not call the loader.
    expect(await cache.getOrLoad("p7", 60_000, loader)).toEqual({ id: 7 });
    expect(calls()).toBe(1);
  });

  it("does not store what a load read before an invalidate of its key", async () => {
    const slow = gatedLoader("before the write");
    const first = cache.getOrLoad("k", 60_000, slow.loader);
    await slow.running;
    await cache.invalidate("k");
    // A caller after the invalidate starts a fresh load instead of joining the stale one.
    const fresh = await cache.getOrLoad("k", 60_000, async () => "after the write");
    slow.release();
    expect(await first).toBe("before the write");
    expect(fresh).toBe("after the write");
    expect(await cache.get("k")).toBe("after the write");
  });

  it("does not store a stale load even when nobody loaded after the invalidate", async () => {
    const slow = gatedLoader("before the write");
    const first = cache.getOrLoad("k2", 60_000, slow.loader);
    await slow.running;
    await cache.invalidate("k2");
    slow.release();
    expect(await first).toBe("before the write");
    expect(await cache.get("k2")).toBeUndefined();
  });

  it("passes a loader's error to every waiter and caches nothing", async () => {
    let calls = 0;
    const failing = async () => {
      calls += 1;
      await sleep(10);
      throw new Error("database down");
    };
    const results = await Promise.allSettled([
      cache.getOrLoad("e", 60_000, failing),
      cache.getOrLoad("e", 60_000, failing),
    ]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(calls).toBe(1);
    expect(await cache.getOrLoad("e", 60_000, async () => "recovered")).toBe("recovered");
  });

  it("round-trips bigint and Date, also nested", async () => {
    const product = {
      id: "p1",
      price: { amountMinor: 9_007_199_254_740_993n, currency: "EUR" },
      createdAt: new Date("2024-05-06T07:08:09.123Z"),
      history: [{ at: new Date(0), stock: -3n }],
      note: null,
    };
    await cache.set("product", product, 60_000);
    expect(await cache.get("product")).toEqual(product);
    expect(await cache.getOrLoad("product", 60_000, async () => "not called")).toEqual(product);
    expect(await cache.getOrLoad("big", 60_000, async () => 5n)).toBe(5n);
    expect(await cache.get("big")).toBe(5n);
  });

  it("caches null, but not undefined", async () => {
    expect(await cache.getOrLoad("null", 60_000, async () => null)).toBeNull();
    expect(await cache.getOrLoad("null", 60_000, async () => "other")).toBeNull();
    expect(await cache.getOrLoad("undef", 60_000, async () => undefined)).toBeUndefined();
    expect(await cache.getOrLoad("undef", 60_000, async () => "loaded")).toBe("loaded");
    await cache.set("undef-set", undefined, 60_000);
    expect(await cache.get("undef-set")).toBeUndefined();
  });

  it("hands out copies: changing a value read does not change the cache", async () => {
    await cache.set("copy", { n: 1 }, 60_000);
    const read = await cache.get<{ n: number }>("copy");
    read!.n = 2;
    expect(await cache.get("copy")).toEqual({ n: 1 });
  });

  it("rejects a TTL that is not a positive number", async () => {
    await expect(cache.set("x", 1, 0)).rejects.toMatchObject({ code: Code.INVALID_ARGUMENT });
    await expect(cache.getOrLoad("x", -5, async () => 1)).rejects.toMatchObject({
      code: Code.INVALID_ARGUMENT,
    });
  });
});

describe("redis cache across replicas", () => {
  it("an invalidate from another replica stops a running load from storing", async () => {
    const prefix = `${PREFIX}replicas:`;
    const replicaA = createRedisCache({ redis, prefix, logger });
    const replicaB = createRedisCache({ redis, prefix, logger });
    const slow = gatedLoader("stale");
    const loading = replicaA.getOrLoad("p", 60_000, slow.loader);
    await slow.running;
    await replicaB.invalidate("p");
    slow.release();
    expect(await loading).toBe("stale");
    expect(await replicaB.get("p")).toBeUndefined();
    expect(await replicaA.get("p")).toBeUndefined();
  });

  it("treats a value it cannot decode as a miss", async () => {
    const prefix = `${PREFIX}garbage:`;
    const cache = createRedisCache({ redis, prefix, logger });
    await redis.set(`${prefix}g`, "{not json", "PX", 60_000);
    expect(await cache.get("g")).toBeUndefined();
    expect(await cache.getOrLoad("g", 60_000, async () => "reloaded")).toBe("reloaded");
    expect(await cache.get("g")).toBe("reloaded");
  });
});

describe("memory cache", () => {
  it("keeps at most maxEntries, dropping the least recently written", async () => {
    const cache = createMemoryCache({ maxEntries: 10 });
    for (let i = 0; i < 20; i++) await cache.set(`k${i}`, i, 60_000);
    const kept = [];
    for (let i = 0; i < 20; i++) if ((await cache.get(`k${i}`)) !== undefined) kept.push(i);
    expect(kept.length).toBeLessThanOrEqual(10);
    expect(kept).toContain(19);
    expect(kept).not.toContain(0);
  });
});

import { create } from "@bufbuild/protobuf";
import { type Status, StatusSchema } from "@shop/gen/es/google/rpc/status_pb";
import { createLastGoodCache } from "./last-good-cache";

const message = (n: number) => create(StatusSchema, { code: n });

describe("createLastGoodCache", () => {
  let now = 0;
  const cache = (limits: { maxEntries?: number; maxBytes?: number; maxAgeMs?: number }) =>
    createLastGoodCache({
      maxEntries: limits.maxEntries ?? 10,
      maxBytes: limits.maxBytes ?? 1_000,
      maxAgeMs: limits.maxAgeMs ?? 60_000,
      now: () => now,
    });

  beforeEach(() => {
    now = 1_000;
  });

  it("keeps the latest answer per key, with when it was stored", () => {
    const c = cache({});
    c.set("a", message(1), 10);
    now = 2_000;
    c.set("a", message(2), 10);
    expect(c.get("a")).toEqual({ message: message(2), storedAt: 2_000 });
    expect(c.size).toBe(1);
    expect(c.get("b")).toBeUndefined();
  });

  it("evicts the least recently used beyond the entry limit", () => {
    const c = cache({ maxEntries: 2 });
    c.set("a", message(1), 1);
    c.set("b", message(2), 1);
    c.get("a");
    c.set("c", message(3), 1);
    const codes = [c.get("a"), c.get("b"), c.get("c")].map(
      (e) => (e?.message as Status | undefined)?.code,
    );
    expect(codes).toEqual([1, undefined, 3]);
  });

  it("evicts by total bytes, and skips an answer larger than the whole budget", () => {
    const c = cache({ maxBytes: 100 });
    c.set("a", message(1), 60);
    c.set("b", message(2), 60);
    expect(c.get("a")).toBeUndefined();
    expect(c.get("b")).toBeDefined();
    c.set("huge", message(3), 101);
    expect(c.get("huge")).toBeUndefined();
    expect(c.get("b")).toBeDefined();
  });

  it("forgets answers older than the maximum age", () => {
    const c = cache({ maxAgeMs: 500 });
    c.set("a", message(1), 1);
    now += 501;
    expect(c.get("a")).toBeUndefined();
    expect(c.size).toBe(0);
  });

  it("keeps nothing with a zero entry limit", () => {
    const c = cache({ maxEntries: 0 });
    c.set("a", message(1), 1);
    expect(c.size).toBe(0);
  });
});

import { createBoundedLru } from "./bounded-lru";
import { createResponseCache, entityTag, noneMatch } from "./response-cache";

const body = (text: string) => Buffer.from(text);
const GET = "shop.product.v1.ProductService/GetProduct";
const LIST = "shop.product.v1.ProductService/ListProducts";

describe("createResponseCache", () => {
  let now = 1_000;
  let online = true;
  const cache = (maxEntries = 100, maxBytes = 1_000_000) =>
    createResponseCache({
      rules: { [GET]: { ttlMs: 10_000 }, [LIST]: { ttlMs: 5_000 } },
      maxEntries,
      maxBytes,
      online: () => online,
      now: () => now,
    });
  const scope = (c: ReturnType<typeof cache>, ids: string[], backend = "product-service") => ({
    backend,
    ids,
    ttlMs: 10_000,
    generation: c.generation(backend),
  });
  beforeEach(() => {
    now = 1_000;
    online = true;
  });

  it("knows the cached RPCs' TTLs and nothing else", () => {
    const c = cache();
    expect(c.ttlOf(GET)).toBe(10_000);
    expect(c.ttlOf(LIST)).toBe(5_000);
    expect(c.ttlOf("shop.order.v1.OrderService/GetOrder")).toBeUndefined();
  });

  it("stores an answer with its ETag until its TTL", () => {
    const c = cache();
    const stored = c.store("a", { body: body('{"x":1}'), headers: {} }, scope(c, ["p1"]));
    expect(stored.etag).toBe(entityTag(body('{"x":1}')));
    expect(c.get("a")).toBe(stored);
    now += 9_999;
    expect(c.get("a")).toBe(stored);
    now += 1;
    expect(c.get("a")).toBeUndefined();
    expect(c.size).toBe(0);
  });

  it("drops, on an event about one entity, its entries and the listings, not the others", () => {
    const c = cache();
    c.store("get p1", { body: body("1"), headers: {} }, scope(c, ["p1"]));
    c.store("get p2", { body: body("2"), headers: {} }, scope(c, ["p2"]));
    c.store("list", { body: body("[]"), headers: {} }, scope(c, []));
    c.store("user", { body: body("u"), headers: {} }, scope(c, ["p1"], "user-service"));
    c.invalidate("product-service", "p1");
    expect(c.get("get p1")).toBeUndefined();
    expect(c.get("list")).toBeUndefined();
    expect(c.get("get p2")).toBeDefined();
    expect(c.get("user")).toBeDefined();
    c.invalidate("product-service");
    expect(c.get("get p2")).toBeUndefined();
    expect(c.get("user")).toBeDefined();
  });

  it("does not keep an answer loaded before an invalidation of its backend", () => {
    const c = cache();
    const before = scope(c, ["p1"]);
    c.invalidate("product-service", "p9");
    const answer = c.store("get p1", { body: body("old"), headers: {} }, before);
    expect(answer.body.toString()).toBe("old");
    expect(c.get("get p1")).toBeUndefined();
    // Another backend's invalidation does not matter.
    const fresh = scope(c, ["p1"]);
    c.invalidate("user-service");
    c.store("get p1", { body: body("new"), headers: {} }, fresh);
    expect(c.get("get p1")?.body.toString()).toBe("new");
  });

  it("serves and keeps nothing while invalidations cannot arrive, and empties itself", () => {
    const c = cache();
    c.store("a", { body: body("1"), headers: {} }, scope(c, []));
    online = false;
    expect(c.get("a")).toBeUndefined();
    c.store("b", { body: body("2"), headers: {} }, scope(c, []));
    online = true;
    expect(c.get("a")).toBeUndefined();
    expect(c.get("b")).toBeUndefined();
    expect(c.size).toBe(0);
  });

  it("evicts the least recently used beyond its bounds, and forgets their index", () => {
    const c = cache(2);
    c.store("a", { body: body("1"), headers: {} }, scope(c, ["p1"]));
    c.store("b", { body: body("2"), headers: {} }, scope(c, ["p2"]));
    c.get("a");
    c.store("c", { body: body("3"), headers: {} }, scope(c, ["p3"]));
    expect(c.get("b")).toBeUndefined();
    expect(c.get("a")).toBeDefined();
    c.invalidate("product-service", "p2"); // b's index entry is gone: nothing to drop
    expect(c.size).toBe(2);
    const small = cache(100, 300);
    small.store("big", { body: Buffer.alloc(1_000), headers: {} }, scope(small, []));
    expect(small.size).toBe(0);
  });

  it("replaces an answer under the same key, with the new one's ids", () => {
    const c = cache();
    c.store("k", { body: body("1"), headers: {} }, scope(c, ["p1"]));
    c.store("k", { body: body("2"), headers: {} }, scope(c, ["p2"]));
    c.invalidate("product-service", "p1");
    // Only listings and p1 were dropped; "k" now names p2.
    expect(c.get("k")?.body.toString()).toBe("2");
  });
});

describe("noneMatch", () => {
  const etag = '"abc"';
  it("matches the tag, weakly, in a list, and *", () => {
    expect(noneMatch('"abc"', etag)).toBe(true);
    expect(noneMatch('W/"abc"', etag)).toBe(true);
    expect(noneMatch('"x", "abc"', etag)).toBe(true);
    expect(noneMatch(" * ", etag)).toBe(true);
  });
  it("does not match another tag, a bare value or no header", () => {
    expect(noneMatch('"abd"', etag)).toBe(false);
    expect(noneMatch("abc", etag)).toBe(false);
    expect(noneMatch(undefined, etag)).toBe(false);
    expect(noneMatch("", etag)).toBe(false);
  });
});

describe("createBoundedLru", () => {
  it("tells onRemove about every value that leaves, whatever the reason", () => {
    const removed: string[] = [];
    const lru = createBoundedLru<number>({
      maxEntries: 2,
      maxBytes: 10,
      onRemove: (key) => removed.push(key),
    });
    lru.set("a", 1, 4);
    lru.set("b", 2, 4);
    lru.set("a", 3, 4); // replaced
    lru.set("c", 4, 4); // evicts b, the least recently used
    lru.delete("c");
    expect(removed).toEqual(["a", "b", "c"]);
    expect(lru.size).toBe(1);
    expect(lru.bytes).toBe(4);
    expect(lru.set("huge", 5, 11)).toBe(false);
    expect(lru.get("a")).toBe(3);
  });
});

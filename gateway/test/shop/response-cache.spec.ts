/**
 * The gateway's response cache against the real services: hits, ETags and conditional
 * requests, and freshness after writes, through the gateway that wrote (at once) and
 * through another replica and from stock moved by an order (from product-service's
 * events, well inside the 10 s TTL, which is only the backstop).
 */
import { randomUUID } from "node:crypto";
import { eventually } from "@shop/libs/testing";
import type { HttpAnswer } from "../support/http-client";
import { type ShopMesh, startShopMesh } from "../support/shop-mesh";
import type { TestGateway } from "../support/test-gateway";

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
/** Well below the policy's TTL (10 s): a fresh answer within it came from invalidation. */
const INVALIDATION_WAIT_MS = 3_000;

/** The first answer `done` accepts, polled well inside the TTL. */
const untilAnswer = (call: () => Promise<HttpAnswer>, done: (answer: HttpAnswer) => boolean) =>
  eventually(
    "a fresh answer",
    async () => {
      const answer = await call();
      return done(answer) ? answer : undefined;
    },
    { timeoutMs: INVALIDATION_WAIT_MS, intervalMs: 25 },
  );

describe("the gateway's response cache", () => {
  let mesh: ShopMesh;
  let replica: TestGateway;
  let admin: { token: string };
  let products: { id: string; name: string; version: string }[];

  beforeAll(async () => {
    mesh = await startShopMesh();
    replica = await mesh.replica();
    admin = await mesh.admin();
    products = (await mesh.call("GET", "/api/products?pageSize=20")).json.products;
  }, 60_000);
  afterAll(() => mesh?.stop());

  const rename = async (product: { id: string }, name: string) => {
    const current = (await mesh.call("GET", `/api/products/${product.id}`)).json.product;
    const answer = await mesh.call(
      "PATCH",
      `/api/products/${product.id}?updateMask=name&expectedVersion=${current.version}`,
      { headers: bearer(admin.token), body: { name } },
    );
    expect(answer.status).toBe(200);
  };

  it("answers a repeated read from memory with the same bytes and a strong ETag", async () => {
    const path = `/api/products/${products[0]!.id}?cacheTest=1`;
    const first = await mesh.call("GET", path);
    const second = await mesh.call("GET", path);
    expect(first.status).toBe(200);
    expect(first.headers["x-gateway-cache"]).toBe("miss");
    expect(second.headers["x-gateway-cache"]).toBe("hit");
    expect(second.text).toBe(first.text);
    expect(second.headers["content-type"]).toBe("application/json");
    expect(first.headers.etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(second.headers.etag).toBe(first.headers.etag);
    expect(second.headers["cache-control"]).toBe("no-cache");
    expect(second.headers["x-request-id"]).toBeDefined();
    // The client's own Cache-Control: no-cache asks for the backend's answer.
    const bypass = await mesh.call("GET", path, { headers: { "cache-control": "no-cache" } });
    expect(bypass.headers["x-gateway-cache"]).toBe("miss");
    expect(bypass.text).toBe(first.text);
  });

  it("answers 304 without a body to a matching If-None-Match, 200 otherwise", async () => {
    const path = "/api/products?pageSize=5";
    const fresh = await mesh.call("GET", path);
    const etag = fresh.headers.etag as string;
    for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, "*"]) {
      const answer = await mesh.call("GET", path, { headers: { "if-none-match": ifNoneMatch } });
      expect(answer.status).toBe(304);
      expect(answer.text).toBe("");
      expect(answer.headers.etag).toBe(etag);
    }
    const changed = await mesh.call("GET", path, { headers: { "if-none-match": '"other"' } });
    expect(changed.status).toBe(200);
    expect(changed.text).toBe(fresh.text);
  });

  it("still admits each hit: rate limit headers move and a bad token is refused", async () => {
    const path = `/api/products/${products[1]!.id}`;
    await mesh.call("GET", path);
    const a = await mesh.call("GET", path);
    const b = await mesh.call("GET", path);
    expect(b.headers["x-gateway-cache"]).toBe("hit");
    expect(Number(b.headers["ratelimit-remaining"])).toBeLessThan(
      Number(a.headers["ratelimit-remaining"]),
    );
    const forged = await mesh.call("GET", path, { headers: bearer("not.a.token") });
    expect(forged.status).toBe(401);
  });

  it("shows a write through the same gateway at once, without waiting for its event", async () => {
    // A replica under another key prefix follows streams nobody publishes to: it hears
    // no events, so only its own writes (and the TTL) can invalidate what it holds.
    const deaf = await mesh.replica({ REDIS_KEY_PREFIX: `${randomUUID()}:` });
    const product = products[2]!;
    const path = `/api/products/${product.id}`;
    const list = "/api/products?pageSize=20";
    await deaf.call("GET", path);
    await deaf.call("GET", list);

    await rename(product, "Renamed through another gateway");
    await new Promise((resolve) => setTimeout(resolve, 200));
    const unheard = await deaf.call("GET", path);
    expect(unheard.headers["x-gateway-cache"]).toBe("hit");
    expect(unheard.json.product.name).not.toBe("Renamed through another gateway");

    const renamed = await deaf.call(
      "PATCH",
      `/api/products/${product.id}?updateMask=name&expectedVersion=${(await mesh.call("GET", path)).json.product.version}`,
      { headers: bearer(admin.token), body: { name: "Renamed through this gateway" } },
    );
    expect(renamed.status).toBe(200);
    const one = await deaf.call("GET", path);
    expect(one.headers["x-gateway-cache"]).toBe("miss");
    expect(one.json.product.name).toBe("Renamed through this gateway");
    const listed = (await deaf.call("GET", list)).json.products;
    expect(listed.find((p: { id: string }) => p.id === product.id).name).toBe(
      "Renamed through this gateway",
    );
  });

  it("shows another replica's write once product-service's event arrives, before the TTL", async () => {
    const product = products[3]!;
    const path = `/api/products/${product.id}`;
    const list = "/api/products?pageSize=20";
    await replica.call("GET", path);
    await replica.call("GET", list);
    expect((await replica.call("GET", path)).headers["x-gateway-cache"]).toBe("hit");

    await rename(product, "Renamed through the other replica");
    const one = await untilAnswer(
      () => replica.call("GET", path),
      (answer) => answer.json.product.name === "Renamed through the other replica",
    );
    expect(one.json.product.name).toBe("Renamed through the other replica");
    const listed = await untilAnswer(
      () => replica.call("GET", list),
      (answer) =>
        answer.json.products.some(
          (p: { name: string }) => p.name === "Renamed through the other replica",
        ),
    );
    expect(listed.headers["x-gateway-cache"]).toBe("miss");
  });

  it("shows stock an order reserved, from StockChanged", async () => {
    const product = products[4]!;
    const path = `/api/products/${product.id}`;
    const before = (await mesh.call("GET", path)).json.product.availableStock;
    expect((await mesh.call("GET", path)).headers["x-gateway-cache"]).toBe("hit");
    const customer = await mesh.customer();
    const order = await mesh.call("POST", "/api/orders", {
      headers: bearer(customer.token),
      body: { productId: product.id, quantity: 2 },
    });
    expect(order.status).toBe(200);
    const after = await untilAnswer(
      () => mesh.call("GET", path),
      (answer) => answer.json.product.availableStock === before - 2,
    );
    expect(after.json.product.availableStock).toBe(before - 2);
  });

  it("caches nothing it should not: writes, and reads the policy does not list", async () => {
    const order = await mesh.call("GET", "/api/orders", {
      headers: bearer((await mesh.customer()).token),
    });
    expect(order.status).toBe(200);
    expect(order.headers["x-gateway-cache"]).toBeUndefined();
    expect(order.headers.etag).toBeUndefined();
    const metrics = (await mesh.call("GET", "/metrics")).text.split("\n");
    const answers = (rpc: string, result: string) =>
      Number(
        metrics
          .find(
            (line) =>
              line.startsWith("gateway_response_cache_answers_total{") &&
              line.includes(`rpc="shop.product.v1.ProductService/${rpc}"`) &&
              line.includes(`result="${result}"`),
          )
          ?.split(" ")
          .pop(),
      );
    expect(answers("GetProduct", "hit")).toBeGreaterThan(0);
    expect(answers("GetProduct", "miss")).toBeGreaterThan(0);
    expect(answers("ListProducts", "not_modified")).toBeGreaterThan(0);
  });
});

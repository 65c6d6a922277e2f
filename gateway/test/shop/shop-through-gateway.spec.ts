/**
 * The gateway in front of the real user-, product- and order-service, with real Redis
 * and real tokens: the seed's routes, proto3 JSON of the shop's contracts, access
 * control on real tokens, rate limits, the order-details aggregation, and the circuit
 * breaker serving stale product reads while product-service is stopped.
 */
import { ndjson } from "../support/http-client";
import { type ShopMesh, startShopMesh } from "../support/shop-mesh";

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

async function eventually<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 15_000,
) {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await probe();
  }
  return value;
}

describe("the shop through the gateway", () => {
  let mesh: ShopMesh;
  let customer: Awaited<ReturnType<ShopMesh["customer"]>>;
  let products: { id: string; name: string; price: { amountMinor: string } }[];

  beforeAll(async () => {
    mesh = await startShopMesh({
      BREAKER_VOLUME_THRESHOLD: "3",
      BREAKER_RESET_TIMEOUT: "1s",
      RATE_LIMIT_CREDENTIALS: "12/1m",
      // Every read reaches the backend here, so that stopping it shows the last-good
      // fallback; the response cache has its own tests (response-cache.spec.ts).
      RESPONSE_CACHE: "false",
    });
    customer = await mesh.customer();
    const list = await mesh.call("GET", "/api/products?pageSize=10");
    products = list.json.products;
  }, 60_000);
  afterAll(() => mesh?.stop());

  it("serves the seed's routes in proto3 JSON", async () => {
    const register = await mesh.call("POST", "/api/users/register", {
      body: { email: `seed-${Date.now()}@example.com`, password: "a long enough passphrase" },
    });
    expect(register.status).toBe(200);
    expect(register.json).toMatchObject({
      user: {
        id: expect.any(String),
        role: "ROLE_CUSTOMER",
        createTime: expect.stringMatching(/Z$/),
      },
      accessToken: expect.any(String),
      tokenType: "Bearer",
    });

    expect(products.length).toBeGreaterThan(2);
    expect(products[0]).toMatchObject({
      price: { currencyCode: "USD", amountMinor: expect.stringMatching(/^\d+$/) },
    });
    const filtered = await mesh.call(
      "GET",
      "/api/products?filter.category=electronics&filter.tags=audio",
    );
    expect(filtered.status).toBe(200);
    expect(filtered.json.products.length).toBeGreaterThan(0);
    for (const p of filtered.json.products) expect(p.category).toBe("electronics");

    const one = await mesh.call("GET", `/api/products/${products[0]!.id}`);
    expect(one.json.product).toMatchObject({
      id: products[0]!.id,
      availableStock: expect.any(Number),
    });

    const order = await mesh.call("POST", "/api/orders", {
      headers: bearer(customer.token),
      body: { productId: products[0]!.id, quantity: 2 },
    });
    expect(order.status).toBe(200);
    expect(order.json.order).toMatchObject({
      userId: customer.userId,
      status: "ORDER_STATUS_CONFIRMED",
      items: [{ productId: products[0]!.id, quantity: 2 }],
    });
    const me = await mesh.call("GET", "/api/users/me", { headers: bearer(customer.token) });
    expect(me.json.user.id).toBe(customer.userId);
  });

  it("passes the idempotency key, and streams an order's changes", async () => {
    const place = () =>
      mesh.call("POST", "/api/orders", {
        headers: { ...bearer(customer.token), "idempotency-key": `key-${customer.userId}` },
        body: { productId: products[1]!.id, quantity: 1 },
      });
    const first = await place();
    const again = await place();
    expect(again.json.order.id).toBe(first.json.order.id);

    const watch = await mesh.call("GET", `/api/orders/${first.json.order.id}:watch`, {
      headers: bearer(customer.token),
    });
    expect(watch.status).toBe(200);
    const lines = ndjson(watch.text);
    expect(lines.at(-1)).toMatchObject({ result: { order: { status: "ORDER_STATUS_CONFIRMED" } } });
  });

  it("maps the services' errors with their details", async () => {
    const duplicate = await mesh.call("POST", "/api/users/register", {
      body: { email: "not-an-email", password: "short" },
    });
    expect(duplicate.status).toBe(400);
    expect(duplicate.json.code).toBe(3);
    const fields = duplicate.json.details[0].fieldViolations.map((v: { field: string }) => v.field);
    expect(fields).toEqual(expect.arrayContaining(["email"]));

    const missing = await mesh.call("GET", "/api/products/00000000-0000-4000-8000-000000000000");
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ code: 5 });

    const bad = await mesh.call("POST", "/api/orders", {
      headers: bearer(customer.token),
      body: { productId: products[0]!.id, quantity: 0 },
    });
    expect(bad.status).toBe(400);
  });

  it("checks real tokens: expired, tampered and alg-none get 401, a customer on an admin route 403", async () => {
    const [header, payload, signature] = customer.token.split(".") as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
    const promoted = b64url({ ...claims, role: "admin" });
    const expired = b64url({ ...claims, exp: Math.floor(Date.now() / 1000) - 3600 });
    for (const token of [
      `${header}.${promoted}.${signature}`,
      `${header}.${expired}.${signature}`,
      `${b64url({ alg: "none", typ: "JWT" })}.${promoted}.`,
    ]) {
      const answer = await mesh.call("GET", "/api/orders", { headers: bearer(token) });
      expect(answer.status).toBe(401);
      expect(answer.headers["www-authenticate"]).toContain("Bearer");
    }
    const anonymous = await mesh.call("POST", "/api/orders", {
      body: { productId: products[0]!.id, quantity: 1 },
    });
    expect(anonymous.status).toBe(401);

    const forbidden = await mesh.call("POST", "/api/products", {
      headers: bearer(customer.token),
      body: { product: { sku: "X-1", name: "x" } },
    });
    expect(forbidden.status).toBe(403);
    expect(forbidden.json.code).toBe(7);

    const admin = await mesh.admin();
    const created = await mesh.call("POST", "/api/products", {
      headers: bearer(admin.token),
      body: {
        product: {
          sku: `GW-${Date.now()}`,
          name: "Gateway test lamp",
          price: { currencyCode: "USD", amountMinor: 1999 },
        },
        initialStock: 3,
      },
    });
    expect(created.status).toBe(200);
    const updated = await mesh.call(
      "PATCH",
      `/api/products/${created.json.product.id}?updateMask=name&expectedVersion=${created.json.product.version}`,
      {
        headers: bearer(admin.token),
        body: { name: "Renamed lamp", id: "ignored: the path wins" },
      },
    );
    expect(updated.status).toBe(200);
    expect(updated.json.product).toMatchObject({
      id: created.json.product.id,
      name: "Renamed lamp",
    });
  });

  it("aggregates an order with its products; another user's order is not found", async () => {
    const order = await mesh.call("POST", "/api/orders", {
      headers: bearer(customer.token),
      body: {
        items: [
          { productId: products[0]!.id, quantity: 1 },
          { productId: products[2]!.id, quantity: 1 },
        ],
      },
    });
    const details = await mesh.call("GET", `/api/orders/${order.json.order.id}/details`, {
      headers: bearer(customer.token),
    });
    expect(details.status).toBe(200);
    expect(details.json.order.id).toBe(order.json.order.id);
    expect(details.json.products).toEqual([
      expect.objectContaining({
        productId: products[0]!.id,
        available: true,
        stale: false,
        product: expect.objectContaining({ name: products[0]!.name }),
      }),
      expect.objectContaining({ productId: products[2]!.id, available: true, stale: false }),
    ]);
    const stranger = await mesh.customer();
    const hidden = await mesh.call("GET", `/api/orders/${order.json.order.id}/details`, {
      headers: bearer(stranger.token),
    });
    expect(hidden.status).toBe(404);
    expect((await mesh.call("GET", `/api/orders/${order.json.order.id}/details`)).status).toBe(401);
  });

  it("opens the breaker when product-service stops, serves stale reads and partial aggregates, and closes when it returns", async () => {
    // An order whose product the gateway has never read, and a warmed product read.
    const unseen = products[3]!;
    const order = await mesh.call("POST", "/api/orders", {
      headers: bearer(customer.token),
      body: { productId: unseen.id, quantity: 1 },
    });
    expect(order.status).toBe(200);
    const warm = await mesh.call("GET", `/api/products/${products[0]!.id}`);
    const warmList = await mesh.call("GET", "/api/products?pageSize=10");

    await mesh.stopProductService();
    const stale = await mesh.call("GET", `/api/products/${products[0]!.id}`);
    expect(stale.status).toBe(200);
    expect(stale.headers["x-gateway-fallback"]).toBe("stale");
    expect(stale.json).toEqual(warm.json);
    const staleList = await mesh.call("GET", "/api/products?pageSize=10");
    expect(staleList.json).toEqual(warmList.json);
    expect(staleList.headers["x-gateway-fallback"]).toBe("stale");

    const details = await mesh.call("GET", `/api/orders/${order.json.order.id}/details`, {
      headers: bearer(customer.token),
    });
    expect(details.status).toBe(200);
    expect(details.json.order.id).toBe(order.json.order.id);
    expect(details.json.products).toEqual([
      {
        productId: unseen.id,
        available: false,
        stale: false,
        error: expect.objectContaining({ code: 14 }),
      },
    ]);

    const open = await eventually(
      () => mesh.call("GET", `/api/products/${products[5]!.id}`),
      (r) => r.json?.message?.includes("circuit open") === true,
    );
    expect(open.status).toBe(503);
    expect(Number(open.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    const ready = await mesh.call("GET", "/ready");
    expect(ready.status).toBe(200);
    expect(ready.json).toMatchObject({
      checks: { "product-service": "down" },
      breakers: { "product-service": "open" },
    });
    expect((await mesh.call("GET", "/metrics")).text).toMatch(
      /gateway_circuit_breaker_state\{[^}]*backend="product-service"[^}]*\} 2/,
    );
    // Still served from the last good answer while open.
    expect(
      (await mesh.call("GET", `/api/products/${products[0]!.id}`)).headers["x-gateway-fallback"],
    ).toBe("stale");

    await mesh.restartProductService();
    const fresh = await eventually(
      () => mesh.call("GET", `/api/products/${products[0]!.id}`),
      (r) => r.status === 200 && r.headers["x-gateway-fallback"] === undefined,
    );
    expect(fresh.headers["x-gateway-fallback"]).toBeUndefined();
    expect((await mesh.call("GET", "/ready")).json.breakers["product-service"]).toBe("closed");
  });

  it("limits sign-ins per client IP with 429 and rate-limit headers", async () => {
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<ShopMesh["call"]>> | undefined;
    // Valid sign-ins: user-service's own throttle only counts failures.
    for (let i = 0; i < 14 && !limited; i++) {
      const answer = await mesh.call("POST", "/api/users/login", {
        body: { email: customer.email, password: customer.password },
      });
      statuses.push(answer.status);
      if (answer.status === 429) limited = answer;
    }
    expect(statuses.slice(0, -1).every((s) => s === 200)).toBe(true);
    expect(limited).toBeDefined();
    expect(limited!.headers["ratelimit-limit"]).toBe("12");
    expect(limited!.headers["retry-after"]).toBeDefined();
    expect(limited!.headers["ratelimit-remaining"]).toBe("0");
    expect(limited!.json.message).toContain("credentials");
  });
});

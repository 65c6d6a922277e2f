/**
 * What a customer does, over HTTP through the gateway, against the whole mesh started
 * as `npm run dev` starts it: buy and cancel, a declined card, privacy between
 * customers, and GDPR export and erasure with its effect on the orders.
 */
import { randomUUID } from "node:crypto";
import { Pool } from "pg";
import {
  createGatewayClient,
  eventually,
  expectStatus,
  type GatewayClient,
  ndjson,
} from "../support/gateway-client";
import { startTestMesh, type TestMesh } from "../support/test-mesh";

jest.setTimeout(120_000);

interface Customer {
  email: string;
  password: string;
  token: string;
  userId: string;
}

describe("customer journeys through the gateway", () => {
  let mesh: TestMesh;
  let api: GatewayClient;
  let orders: Pool;
  beforeAll(async () => {
    mesh = await startTestMesh();
    api = createGatewayClient(mesh.gatewayUrl);
    orders = new Pool({ connectionString: mesh.databases["order-service"]!.url, max: 2 });
  });
  afterAll(async () => {
    await orders?.end();
    await mesh?.stop();
  });

  async function signUp(): Promise<Customer> {
    const email = `e2e-${randomUUID().slice(0, 8)}@example.com`;
    const password = `pw-${randomUUID()}`;
    const registered = expectStatus(
      await api.call("POST", "/api/users/register", { body: { email, password } }),
      200,
    );
    return { email, password, token: registered.json.accessToken, userId: registered.json.user.id };
  }

  /** A demo product with stock to spare, and its stock as the catalog shows it now. */
  async function aProduct(skip = 0): Promise<{ id: string; stock: number }> {
    const listed = expectStatus(await api.call("GET", "/api/products?pageSize=50"), 200);
    const product = listed.json.products.filter(
      (p: { availableStock: number }) => p.availableStock > 10,
    )[skip];
    return { id: product.id, stock: product.availableStock };
  }

  /** The stock GET /api/products/{id} shows, once it equals `expected` (caches settle). */
  const stockBecomes = (productId: string, expected: number) =>
    eventually(`product ${productId} to show stock ${expected}`, async () => {
      const read = expectStatus(await api.call("GET", `/api/products/${productId}`), 200);
      return read.json.product.availableStock === expected;
    });

  it("registers, logs in, browses, orders, watches, lists, cancels and gets the stock back", async () => {
    const customer = await signUp();
    const login = expectStatus(
      await api.call("POST", "/api/users/login", {
        body: { email: customer.email, password: customer.password },
      }),
      200,
    );
    const token = login.json.accessToken as string;
    expect(login.json.user.id).toBe(customer.userId);
    const me = expectStatus(await api.call("GET", "/api/users/me", { token }), 200);
    expect(me.json.user.email).toBe(customer.email);

    const product = await aProduct();
    const detail = expectStatus(await api.call("GET", `/api/products/${product.id}`), 200);
    expect(detail.json.product.id).toBe(product.id);

    const key = randomUUID();
    const place = () =>
      api.call("POST", "/api/orders", {
        token,
        headers: { "Idempotency-Key": key },
        body: { productId: product.id, quantity: 2 },
      });
    const placed = expectStatus(await place(), 200);
    const orderId = placed.json.order.id as string;
    // The same key is the same order, however often the client retries.
    expect(expectStatus(await place(), 200).json.order.id).toBe(orderId);

    const watched = expectStatus(
      await api.call("GET", `/api/orders/${orderId}:watch`, { token }),
      200,
    );
    expect(ndjson(watched.text).at(-1)).toMatchObject({
      result: { order: { id: orderId, status: "ORDER_STATUS_CONFIRMED" } },
    });
    await stockBecomes(product.id, product.stock - 2);

    const listed = expectStatus(await api.call("GET", "/api/orders", { token }), 200);
    expect(listed.json.orders.map((o: { id: string }) => o.id)).toEqual([orderId]);

    const cancelled = expectStatus(
      await api.call("POST", `/api/orders/${orderId}:cancel`, {
        token,
        body: { reason: "changed my mind" },
      }),
      200,
    );
    expect(cancelled.json.order).toMatchObject({
      id: orderId,
      status: "ORDER_STATUS_CANCELLED",
      statusReason: "changed my mind",
    });
    await stockBecomes(product.id, product.stock);
    const read = expectStatus(await api.call("GET", `/api/orders/${orderId}`, { token }), 200);
    expect(read.json.order.status).toBe("ORDER_STATUS_CANCELLED");
  });

  it("cancels an order whose payment is declined, keeping the stock", async () => {
    const customer = await signUp();
    const product = await aProduct(1);
    const declined = expectStatus(
      await api.call("POST", "/api/orders", {
        token: customer.token,
        body: { productId: product.id, quantity: 1, paymentToken: "tok_decline" },
      }),
      200,
    );
    expect(declined.json.order).toMatchObject({ status: "ORDER_STATUS_CANCELLED" });
    expect(declined.json.order.statusReason).toMatch(/declined/);
    await stockBecomes(product.id, product.stock);
  });

  it("never shows or lets anyone change another customer's order", async () => {
    const owner = await signUp();
    const other = await signUp();
    const product = await aProduct(2);
    const placed = expectStatus(
      await api.call("POST", "/api/orders", {
        token: owner.token,
        body: { productId: product.id, quantity: 1 },
      }),
      200,
    );
    const orderId = placed.json.order.id as string;

    const peek = await api.call("GET", `/api/orders/${orderId}`, { token: other.token });
    expect([peek.status, peek.json.code]).toEqual([404, 5]);
    // Exactly what an order that does not exist looks like: ids do not leak.
    const missing = await api.call("GET", `/api/orders/${randomUUID()}`, { token: other.token });
    expect(missing.status).toBe(404);
    const cancel = await api.call("POST", `/api/orders/${orderId}:cancel`, {
      token: other.token,
      body: {},
    });
    expect(cancel.status).toBe(404);
    const listed = expectStatus(await api.call("GET", "/api/orders", { token: other.token }), 200);
    expect(listed.json.orders ?? []).toEqual([]);
    const anonymous = await api.call("GET", `/api/orders/${orderId}`);
    expect(anonymous.status).toBe(401);

    const still = expectStatus(
      await api.call("GET", `/api/orders/${orderId}`, { token: owner.token }),
      200,
    );
    expect(still.json.order.status).toBe("ORDER_STATUS_CONFIRMED");
  });

  it("exports my data, erases my account, and anonymises my orders", async () => {
    const customer = await signUp();
    const product = await aProduct(3);
    const placed = expectStatus(
      await api.call("POST", "/api/orders", {
        token: customer.token,
        body: { productId: product.id, quantity: 1 },
      }),
      200,
    );
    const orderId = placed.json.order.id as string;

    const exported = expectStatus(
      await api.call("GET", "/api/users/me/export", { token: customer.token }),
      200,
    );
    expect(exported.json.user).toMatchObject({ id: customer.userId, email: customer.email });
    expect(exported.json.sessions.length).toBeGreaterThan(0);
    expect(exported.text).not.toContain(customer.password);

    const wrong = await api.call("POST", "/api/users/me:delete", {
      token: customer.token,
      body: { password: "not-my-password" },
    });
    expect([wrong.status, wrong.json.message]).toEqual([403, "the password is incorrect"]);
    expectStatus(
      await api.call("POST", "/api/users/me:delete", {
        token: customer.token,
        body: { password: customer.password },
      }),
      200,
    );

    const login = await api.call("POST", "/api/users/login", {
      body: { email: customer.email, password: customer.password },
    });
    expect([login.status, login.json.message]).toEqual([401, "email or password is incorrect"]);
    // The access token is still valid for minutes; it can no longer buy anything.
    const afterwards = await api.call("POST", "/api/orders", {
      token: customer.token,
      body: { productId: product.id, quantity: 1 },
    });
    expect(afterwards.status).toBe(403);
    expect(afterwards.json.message).toBe(
      "this account has been deleted and can no longer place orders",
    );

    // UserDeleted reaches order-service: the order stays, but names nobody.
    const row = await eventually("the order to be anonymised", async () => {
      const { rows } = await orders.query<{ user_id: string | null; anonymized_at: Date | null }>(
        "SELECT user_id, anonymized_at FROM orders WHERE id = $1",
        [orderId],
      );
      return rows[0]?.anonymized_at ? rows[0] : undefined;
    });
    expect(row.user_id).toBeNull();
    const { rows } = await orders.query(
      "SELECT count(*)::int AS n FROM orders WHERE user_id = $1",
      [customer.userId],
    );
    expect(rows[0].n).toBe(0);
    const mine = expectStatus(await api.call("GET", "/api/orders", { token: customer.token }), 200);
    expect(mine.json.orders ?? []).toEqual([]);
  });
});

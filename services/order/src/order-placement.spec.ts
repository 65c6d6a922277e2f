import { EventEnvelope } from "@shop/gen/ts/shop/events/v1/events";
import { type CreateOrderRequest, OrderStatus } from "@shop/gen/ts/shop/order/v1/order";
import { Code } from "@shop/libs/errors";
import { startProductService } from "@shop/product-service";
import { startUserService } from "@shop/user-service";
import {
  type OrderTestMesh,
  rejectionOf,
  sagaRow,
  startOrderTestMesh,
} from "../test/order-test-mesh";

function request(overrides: Partial<CreateOrderRequest>): CreateOrderRequest {
  return { productId: "", quantity: 0, items: [], paymentToken: "", ...overrides };
}

describe("CreateOrder", () => {
  let mesh: OrderTestMesh;

  beforeAll(async () => {
    mesh = await startOrderTestMesh({ startProductService, startUserService });
  });
  afterAll(() => mesh?.stop());

  async function ordersOf(userId: string): Promise<number> {
    const { rows } = await mesh.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM orders WHERE user_id = $1",
      [userId],
    );
    return rows[0]!.n;
  }

  async function eventTypes(orderId: string): Promise<string[]> {
    const { rows } = await mesh.pool.query<{ envelope: Buffer }>(
      "SELECT envelope FROM outbox ORDER BY id",
    );
    return rows
      .map((r) => EventEnvelope.decode(r.envelope))
      .filter((e) => e.aggregateId === orderId)
      .map((e) => e.type);
  }

  it("places the seed's single-product order at product-service's price and confirms it", async () => {
    const product = await mesh.createProduct({ price: 1250n, stock: 10 });
    const as = await mesh.customer();
    const { order } = await mesh.order.client.createOrder(
      request({ productId: product.id, quantity: 2 }),
      as,
    );
    expect(order).toMatchObject({
      userId: as.ctx.user.userId,
      status: OrderStatus.ORDER_STATUS_CONFIRMED,
      statusReason: "",
      total: { currencyCode: "EUR", amountMinor: 2500n },
      items: [
        {
          productId: product.id,
          productName: product.name,
          quantity: 2,
          unitPrice: { currencyCode: "EUR", amountMinor: 1250n },
          lineTotal: { currencyCode: "EUR", amountMinor: 2500n },
        },
      ],
    });
    expect(await mesh.availableStock(product.id)).toBe(8);
    // Only the provider's authorization id is kept once paid; the token is gone.
    expect(await sagaRow(mesh.pool, order!.id)).toMatchObject({
      saga_step: "DONE",
      payment_state: "AUTHORIZED",
      stock_state: "COMMITTED",
      payment_token: null,
      lease_owner: null,
    });
    expect(await eventTypes(order!.id)).toEqual([
      "shop.events.v1.OrderCreated",
      "shop.events.v1.OrderConfirmed",
    ]);
  });

  it("prices a list of items from product-service, one currency per order", async () => {
    const a = await mesh.createProduct({ price: 300n });
    const b = await mesh.createProduct({ price: 1999n });
    const { order } = await mesh.order.client.createOrder(
      request({
        items: [
          { productId: a.id, quantity: 3 },
          { productId: b.id, quantity: 1 },
        ],
      }),
      await mesh.customer(),
    );
    expect(order?.status).toBe(OrderStatus.ORDER_STATUS_CONFIRMED);
    expect(order?.total).toEqual({ currencyCode: "EUR", amountMinor: 2899n });
    expect(order?.items.map((i) => [i.productId, i.lineTotal?.amountMinor])).toEqual([
      [a.id, 900n],
      [b.id, 1999n],
    ]);

    const usd = await mesh.createProduct({ price: 100n, currency: "USD" });
    const mixed = await mesh.order.client.createOrder(
      request({
        items: [
          { productId: a.id, quantity: 1 },
          { productId: usd.id, quantity: 1 },
        ],
      }),
      await mesh.customer(),
    );
    expect(mixed.order).toMatchObject({
      status: OrderStatus.ORDER_STATUS_CANCELLED,
      statusReason: "the items are priced in different currencies: order them separately",
    });
    expect(await mesh.availableStock(usd.id)).toBe(10);
  });

  it("refuses malformed requests naming every bad field", async () => {
    const product = await mesh.createProduct();
    const as = await mesh.customer();
    const cases: [Partial<CreateOrderRequest>, string[]][] = [
      [{}, ["items"]],
      [
        { productId: product.id, quantity: 1, items: [{ productId: product.id, quantity: 1 }] },
        ["items"],
      ],
      [{ productId: product.id, quantity: 0 }, ["quantity"]],
      [{ productId: "not-a-uuid", quantity: 1001 }, ["product_id", "quantity"]],
      [
        {
          items: [
            { productId: product.id, quantity: 1 },
            { productId: product.id, quantity: 2 },
          ],
        },
        ["items[1].product_id"],
      ],
      [
        { items: Array.from({ length: 51 }, () => ({ productId: product.id, quantity: 1 })) },
        ["items"],
      ],
      [
        { productId: product.id, quantity: 1, paymentToken: "4242 4242 4242 4242" },
        ["payment_token"],
      ],
      [{ productId: product.id, quantity: 1, paymentToken: "card:visa" }, ["payment_token"]],
    ];
    for (const [fields, expected] of cases) {
      const error = await rejectionOf(mesh.order.client.createOrder(request(fields), as));
      expect(error.code).toBe(Code.INVALID_ARGUMENT);
      expect(error.fieldViolations.map((v) => v.field)).toEqual(expected);
    }
    expect(await ordersOf(as.ctx.user.userId)).toBe(0);
  });

  it("answers NOT_FOUND naming the line of an unknown product, and places nothing", async () => {
    const product = await mesh.createProduct();
    const as = await mesh.customer();
    const error = await rejectionOf(
      mesh.order.client.createOrder(
        request({
          items: [
            { productId: product.id, quantity: 1 },
            { productId: "00000000-0000-4000-8000-000000000000", quantity: 1 },
          ],
        }),
        as,
      ),
    );
    expect(error.code).toBe(Code.NOT_FOUND);
    expect(error.fieldViolations.map((v) => v.field)).toEqual(["items[1].product_id"]);
    expect(await ordersOf(as.ctx.user.userId)).toBe(0);
    expect(await mesh.availableStock(product.id)).toBe(10);
  });

  it("creates one order for 50 concurrent calls with one Idempotency-Key, and all name it", async () => {
    const product = await mesh.createProduct({ stock: 100 });
    const as = await mesh.customer();
    const body = request({ productId: product.id, quantity: 3 });
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        mesh.order.client.createOrder(body, { ...as, idempotencyKey: "checkout-1" }),
      ),
    );
    const ids = new Set(responses.map((r) => r.order!.id));
    expect(ids.size).toBe(1);
    expect(responses.every((r) => r.order!.status === OrderStatus.ORDER_STATUS_CONFIRMED)).toBe(
      true,
    );
    expect(await ordersOf(as.ctx.user.userId)).toBe(1);
    expect(await mesh.availableStock(product.id)).toBe(97);

    // The same body in the other accepted form is the same request.
    const again = await mesh.order.client.createOrder(
      request({ items: [{ productId: product.id, quantity: 3 }] }),
      { ...as, idempotencyKey: "checkout-1" },
    );
    expect(again.order?.id).toBe([...ids][0]);
  });

  it("answers ABORTED for a reused key with a different body, and keys are per user", async () => {
    const product = await mesh.createProduct();
    const as = await mesh.customer();
    const first = await mesh.order.client.createOrder(
      request({ productId: product.id, quantity: 1 }),
      {
        ...as,
        idempotencyKey: "k-1",
      },
    );
    const error = await rejectionOf(
      mesh.order.client.createOrder(request({ productId: product.id, quantity: 2 }), {
        ...as,
        idempotencyKey: "k-1",
      }),
    );
    expect(error.code).toBe(Code.ABORTED);
    expect(error.message).toMatch(/Idempotency-Key "k-1" was already used for a different order/);
    const token = await rejectionOf(
      mesh.order.client.createOrder(
        request({ productId: product.id, quantity: 1, paymentToken: "tok_decline" }),
        { ...as, idempotencyKey: "k-1" },
      ),
    );
    expect(token.code).toBe(Code.ABORTED);

    const other = await mesh.order.client.createOrder(
      request({ productId: product.id, quantity: 2 }),
      {
        ...(await mesh.customer()),
        idempotencyKey: "k-1",
      },
    );
    expect(other.order?.id).not.toBe(first.order?.id);
    expect(await ordersOf(as.ctx.user.userId)).toBe(1);
  });

  it("forgets a key after 24 hours", async () => {
    const product = await mesh.createProduct();
    const as = await mesh.customer();
    const options = { ...as, idempotencyKey: "old-key" };
    const first = await mesh.order.client.createOrder(
      request({ productId: product.id, quantity: 1 }),
      options,
    );
    const { rows } = await mesh.pool.query<{ hours: number }>(
      `SELECT round(extract(epoch FROM expires_at - created_at) / 3600)::int AS hours
         FROM idempotency_keys WHERE user_id = $1`,
      [as.ctx.user.userId],
    );
    expect(rows[0]?.hours).toBe(24);
    // A day passes.
    await mesh.pool.query(
      "UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE user_id = $1",
      [as.ctx.user.userId],
    );
    const second = await mesh.order.client.createOrder(
      request({ productId: product.id, quantity: 2 }),
      options,
    );
    expect(second.order?.id).not.toBe(first.order?.id);
    expect(await ordersOf(as.ctx.user.userId)).toBe(2);
    // The recovery loop prunes expired keys.
    await mesh.pool.query(
      "UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE user_id = $1",
      [as.ctx.user.userId],
    );
    await mesh.order.service.recovery.runOnce();
    const left = await mesh.pool.query("SELECT 1 FROM idempotency_keys WHERE user_id = $1", [
      as.ctx.user.userId,
    ]);
    expect(left.rowCount).toBe(0);
  });

  it("creates a new order for every call without a key", async () => {
    const product = await mesh.createProduct();
    const as = await mesh.customer();
    const body = request({ productId: product.id, quantity: 1 });
    const a = await mesh.order.client.createOrder(body, as);
    const b = await mesh.order.client.createOrder(body, as);
    expect(a.order?.id).not.toBe(b.order?.id);
    expect(await mesh.availableStock(product.id)).toBe(8);
  });

  it("fails fast with UNAVAILABLE and places nothing while product-service is down", async () => {
    const product = await mesh.createProduct();
    const as = await mesh.customer();
    await mesh.stopProductService();
    const error = await rejectionOf(
      mesh.order.client.createOrder(request({ productId: product.id, quantity: 1 }), as),
    );
    expect(error.code).toBe(Code.UNAVAILABLE);
    expect(error.message).toMatch(/no order was placed/);
    expect(await ordersOf(as.ctx.user.userId)).toBe(0);
  });
});

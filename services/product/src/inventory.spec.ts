import { randomUUID } from "node:crypto";
import { ReservationState, type StockItem } from "@shop/gen/ts/shop/product/v1/product";
import { Code } from "@shop/libs/errors";
import {
  createProduct,
  eventually,
  type ProductTestContext,
  rejectionOf,
  startTestProductService,
} from "../test/product-test-service";

const { RESERVATION_STATE_RESERVED: RESERVED, RESERVATION_STATE_RELEASED: RELEASED } =
  ReservationState;
const { RESERVATION_STATE_COMMITTED: COMMITTED, RESERVATION_STATE_RETURNED: RETURNED } =
  ReservationState;
const { RESERVATION_STATE_EXPIRED: EXPIRED } = ReservationState;

/** A long deadline for bursts on a loaded machine; the assertions are about outcomes. */
const SLOW = { timeoutMs: 60_000 };

describe("inventory", () => {
  let t: ProductTestContext;
  beforeAll(async () => {
    t = await startTestProductService();
  });
  afterAll(() => t.stop());

  async function levels(productId: string) {
    const { rows } = await t.pool.query<{ available: number; reserved: number; sold: number }>(
      "SELECT available, reserved, sold FROM stock WHERE product_id = $1",
      [productId],
    );
    return rows[0];
  }
  const reserve = (orderId: string, items: StockItem[]) =>
    t.orders.reserveStock({ orderId, items }, SLOW);

  it("reserves once per order id, however often and concurrently it is asked", async () => {
    const product = await createProduct(t, { name: "Lamp" }, 10);
    const orderId = randomUUID();
    const items = [{ productId: product.id, quantity: 3 }];
    const answers = await Promise.all(Array.from({ length: 10 }, () => reserve(orderId, items)));
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    expect(answers[0]).toMatchObject({
      state: RESERVED,
      items: [
        {
          productId: product.id,
          quantity: 3,
          productName: "Lamp",
          unitPrice: { currencyCode: "EUR", amountMinor: 1250n },
        },
      ],
    });
    expect(await levels(product.id)).toEqual({ available: 7, reserved: 3, sold: 0 });

    // The prices stay those of the reservation, even after a price change.
    await t.gateway.updateProduct(
      {
        product: { ...product, price: { currencyCode: "EUR", amountMinor: 9999n } },
        updateMask: ["price"],
        expectedVersion: 1n,
      },
      t.admin(),
    );
    expect(await reserve(orderId, items)).toEqual(answers[0]);
    const other = await rejectionOf(reserve(orderId, [{ productId: product.id, quantity: 4 }]));
    expect(other.code).toBe(Code.FAILED_PRECONDITION);
    expect(other.reason).toBe("RESERVATION_MISMATCH");
    expect(await levels(product.id)).toEqual({ available: 7, reserved: 3, sold: 0 });
  });

  it("answers an expire time one reservation TTL (default 15 minutes) ahead", async () => {
    const product = await createProduct(t);
    const before = Date.now();
    const { expireTime } = await reserve(randomUUID(), [{ productId: product.id, quantity: 1 }]);
    expect(expireTime!.getTime()).toBeGreaterThanOrEqual(before + 15 * 60_000 - 5_000);
    expect(expireTime!.getTime()).toBeLessThanOrEqual(Date.now() + 15 * 60_000 + 5_000);
  });

  it("reserves all items or none, naming the short ones", async () => {
    const plenty = await createProduct(t, {}, 10);
    const short = await createProduct(t, {}, 1);
    const orderId = randomUUID();
    const error = await rejectionOf(
      reserve(orderId, [
        { productId: plenty.id, quantity: 5 },
        { productId: short.id, quantity: 2 },
      ]),
    );
    expect(error.code).toBe(Code.FAILED_PRECONDITION);
    expect(error.message).toContain(short.id);
    expect(error.preconditionViolations).toEqual([
      { type: "STOCK", subject: short.id, description: "requested 2, available 1" },
    ]);
    expect(await levels(plenty.id)).toEqual({ available: 10, reserved: 0, sold: 0 });
    // Nothing was recorded for the order id: it can try again.
    const retry = await reserve(orderId, [{ productId: plenty.id, quantity: 5 }]);
    expect(retry.state).toBe(RESERVED);
  });

  it("refuses unknown, deleted and inactive products", async () => {
    const deleted = await createProduct(t);
    await t.gateway.deleteProduct({ productId: deleted.id }, t.admin());
    const unknown = randomUUID();
    const missing = await rejectionOf(
      reserve(randomUUID(), [
        { productId: unknown, quantity: 1 },
        { productId: deleted.id, quantity: 1 },
      ]),
    );
    expect(missing.code).toBe(Code.NOT_FOUND);
    expect(missing.message).toContain(unknown);
    expect(missing.message).toContain(deleted.id);
    const inactive = await createProduct(t, { active: false });
    const notForSale = await rejectionOf(
      reserve(randomUUID(), [{ productId: inactive.id, quantity: 1 }]),
    );
    expect(notForSale.code).toBe(Code.FAILED_PRECONDITION);
    expect(notForSale.preconditionViolations[0]?.type).toBe("PRODUCT_INACTIVE");
  });

  it("validates the request, naming each field", async () => {
    const id = randomUUID();
    const error = await rejectionOf(
      reserve("bad order id", [
        { productId: "nope", quantity: 0 },
        { productId: id, quantity: 1001 },
        { productId: id.toUpperCase(), quantity: 1 },
      ]),
    );
    expect(error.code).toBe(Code.INVALID_ARGUMENT);
    expect(error.fieldViolations.map((v) => v.field)).toEqual([
      "order_id",
      "items[0].product_id",
      "items[0].quantity",
      "items[1].quantity",
      "items[2].product_id",
    ]);
    const empty = await rejectionOf(reserve("", []));
    expect(empty.fieldViolations.map((v) => v.field)).toEqual(["order_id", "items"]);
    const many = Array.from({ length: 51 }, () => ({ productId: randomUUID(), quantity: 1 }));
    const tooMany = await rejectionOf(reserve(randomUUID(), many));
    expect(tooMany.fieldViolations.map((v) => v.field)).toEqual(["items"]);
    for (const call of [
      t.orders.releaseStock({ orderId: "" }),
      t.orders.commitStock({ orderId: "a b" }),
      t.orders.returnStock({ orderId: "x".repeat(129) }),
    ]) {
      expect((await rejectionOf(call)).fieldViolations.map((v) => v.field)).toEqual(["order_id"]);
    }
  });

  it("admits only order-service to the stock RPCs", async () => {
    const denied = await rejectionOf(
      t.gateway.reserveStock({ orderId: randomUUID(), items: [] }, t.admin()),
    );
    expect(denied.code).toBe(Code.PERMISSION_DENIED);
  });

  it("commits, returns and releases idempotently, and rejects out-of-order calls", async () => {
    const product = await createProduct(t, {}, 10);
    const items = [{ productId: product.id, quantity: 4 }];
    const sold = randomUUID();
    await reserve(sold, items);

    const early = await rejectionOf(t.orders.returnStock({ orderId: sold }));
    expect(early.code).toBe(Code.FAILED_PRECONDITION);
    expect(early.reason).toBe("RESERVATION_RESERVED");

    expect((await t.orders.commitStock({ orderId: sold })).state).toBe(COMMITTED);
    expect((await t.orders.commitStock({ orderId: sold })).state).toBe(COMMITTED);
    expect(await levels(product.id)).toEqual({ available: 6, reserved: 0, sold: 4 });

    const late = await rejectionOf(t.orders.releaseStock({ orderId: sold }));
    expect(late.code).toBe(Code.FAILED_PRECONDITION);
    expect(late.reason).toBe("RESERVATION_COMMITTED");

    expect((await t.orders.returnStock({ orderId: sold })).state).toBe(RETURNED);
    expect((await t.orders.returnStock({ orderId: sold })).state).toBe(RETURNED);
    expect(await levels(product.id)).toEqual({ available: 10, reserved: 0, sold: 0 });
    // A late duplicate of the commit changes nothing.
    expect((await t.orders.commitStock({ orderId: sold })).state).toBe(RETURNED);
    expect(await levels(product.id)).toEqual({ available: 10, reserved: 0, sold: 0 });

    const released = randomUUID();
    await reserve(released, items);
    expect((await t.orders.releaseStock({ orderId: released })).state).toBe(RELEASED);
    expect((await t.orders.releaseStock({ orderId: released })).state).toBe(RELEASED);
    expect(await levels(product.id)).toEqual({ available: 10, reserved: 0, sold: 0 });
    // Also once its expiry time has passed: a released reservation stays released.
    await t.pool.query(
      "UPDATE reservations SET expires_at = now() - interval '1 second' WHERE order_id = $1",
      [released],
    );
    const commitReleased = await rejectionOf(t.orders.commitStock({ orderId: released }));
    expect(commitReleased.code).toBe(Code.FAILED_PRECONDITION);
    expect(commitReleased.reason).toBe("RESERVATION_RELEASED");

    for (const call of [
      t.orders.commitStock({ orderId: randomUUID() }),
      t.orders.returnStock({ orderId: randomUUID() }),
    ]) {
      expect((await rejectionOf(call)).code).toBe(Code.NOT_FOUND);
    }
    const reasons = await t.pool.query(
      "SELECT reason FROM stock_ledger WHERE product_id = $1 ORDER BY id",
      [product.id],
    );
    expect(reasons.rows.map((r) => r.reason)).toEqual([
      "ADJUSTED",
      "RESERVED",
      "COMMITTED",
      "RETURNED",
      "RESERVED",
      "RELEASED",
    ]);
  });

  it("records a release that came first, so a late reservation reserves nothing", async () => {
    const product = await createProduct(t, {}, 5);
    const orderId = randomUUID();
    expect((await t.orders.releaseStock({ orderId })).state).toBe(RELEASED);
    const late = await reserve(orderId, [{ productId: product.id, quantity: 2 }]);
    expect(late).toEqual({ state: RELEASED, items: [], expireTime: undefined });
    expect(await levels(product.id)).toEqual({ available: 5, reserved: 0, sold: 0 });
  });

  it("returns the stock of expired reservations, and refuses to commit them", async () => {
    const product = await createProduct(t, {}, 10);
    const [swept, overdue, fresh] = [randomUUID(), randomUUID(), randomUUID()];
    for (const orderId of [swept, overdue, fresh]) {
      await reserve(orderId, [{ productId: product.id, quantity: 2 }]);
    }
    await t.pool.query(
      "UPDATE reservations SET expires_at = now() - interval '1 second' WHERE order_id = ANY($1)",
      [[swept, overdue]],
    );
    // A commit after the expiry time loses: the stock goes back, the call fails.
    const tooLate = await rejectionOf(t.orders.commitStock({ orderId: overdue }));
    expect(tooLate.code).toBe(Code.FAILED_PRECONDITION);
    expect(tooLate.reason).toBe("RESERVATION_EXPIRED");
    expect(await t.service.sweepExpiredReservations()).toBe(1);
    expect(await t.service.sweepExpiredReservations()).toBe(0);
    expect(await levels(product.id)).toEqual({ available: 8, reserved: 2, sold: 0 });
    expect((await t.orders.releaseStock({ orderId: swept })).state).toBe(EXPIRED);
    for (const orderId of [swept, overdue]) {
      const again = await rejectionOf(t.orders.commitStock({ orderId }));
      expect(again.reason).toBe("RESERVATION_EXPIRED");
    }
    expect((await reserve(swept, [{ productId: product.id, quantity: 2 }])).state).toBe(EXPIRED);
    expect((await t.orders.commitStock({ orderId: fresh })).state).toBe(COMMITTED);
    const expired = await t.pool.query(
      "SELECT order_id FROM stock_ledger WHERE product_id = $1 AND reason = 'EXPIRED' ORDER BY order_id",
      [product.id],
    );
    expect(expired.rows.map((r) => r.order_id)).toEqual([swept, overdue].sort());
    expect((await t.gateway.getProduct({ productId: product.id })).product?.availableStock).toBe(8);
  });
});

describe("reservation sweeper", () => {
  let t: ProductTestContext;
  beforeAll(async () => {
    t = await startTestProductService({
      RESERVATION_TTL: "1ms",
      RESERVATION_SWEEP_INTERVAL: "50ms",
    });
  });
  afterAll(() => t.stop());

  it("expires reservations nobody settles, in the background", async () => {
    const product = await createProduct(t, {}, 3);
    const orderId = randomUUID();
    await t.orders.reserveStock({ orderId, items: [{ productId: product.id, quantity: 3 }] });
    await eventually("the reservation to expire", async () => {
      const { rows } = await t.pool.query("SELECT state FROM reservations WHERE order_id = $1", [
        orderId,
      ]);
      return rows[0]?.state === "EXPIRED";
    });
    const { product: read } = await t.gateway.getProduct({ productId: product.id });
    expect(read?.availableStock).toBe(3);
  });
});

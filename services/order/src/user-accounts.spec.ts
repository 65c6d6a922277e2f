import { OrderStatus } from "@shop/gen/ts/shop/order/v1/order";
import { Code } from "@shop/libs/errors";
import { startProductService } from "@shop/product-service";
import { startUserService } from "@shop/user-service";
import {
  type CallAs,
  eventually,
  type OrderTestMesh,
  rejectionOf,
  startOrderTestMesh,
} from "../test/order-test-mesh";

/**
 * CreateOrder's account check: an access token stays valid after DeleteMe erased its
 * account, and such a token must not place orders, whether user-service answers or not.
 */
describe("CreateOrder's account check", () => {
  let mesh: OrderTestMesh;

  beforeAll(async () => {
    mesh = await startOrderTestMesh({ startProductService, startUserService });
  });
  afterAll(() => mesh?.stop());

  const order = (as: CallAs, productId: string) =>
    mesh.order.client.createOrder({ productId, quantity: 1, items: [], paymentToken: "" }, as);

  async function ordersOf(userId: string): Promise<number> {
    const { rows } = await mesh.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM orders WHERE user_id = $1",
      [userId],
    );
    return rows[0]!.n;
  }

  /** order_account_checks_total by `source/outcome`. */
  async function checks(): Promise<Record<string, number>> {
    const metric = await mesh.order.service.runtime.metrics.registry
      .getSingleMetric("order_account_checks_total")
      ?.get();
    return Object.fromEntries(
      (metric?.values ?? []).map((v) => [`${v.labels.source}/${v.labels.outcome}`, v.value]),
    );
  }

  async function erasedHere(userId: string): Promise<boolean> {
    const { rowCount } = await mesh.pool.query("SELECT 1 FROM erased_accounts WHERE user_id = $1", [
      userId,
    ]);
    return (rowCount ?? 0) > 0;
  }

  it("refuses an erased account's still-valid token, placing nothing", async () => {
    const product = await mesh.createProduct({ stock: 5 });
    const as = await mesh.customer();
    expect((await order(as, product.id)).order?.status).toBe(OrderStatus.ORDER_STATUS_CONFIRMED);
    await mesh.eraseAccount(as);

    const refused = await rejectionOf(order(as, product.id));
    expect(refused).toMatchObject({
      code: Code.PERMISSION_DENIED,
      message: "this account has been deleted and can no longer place orders",
      reason: "ACCOUNT_DELETED",
    });
    // The first order was anonymised by UserDeleted; nothing new names the user.
    await eventually("UserDeleted to be applied", () => erasedHere(as.ctx.user.userId));
    expect(await ordersOf(as.ctx.user.userId)).toBe(0);
    expect(await mesh.availableStock(product.id)).toBe(4);
    expect(await checks()).toMatchObject({ "user-service/erased": 1 });
  });

  it("refuses a token whose account never existed", async () => {
    const product = await mesh.createProduct();
    const stranger = await mesh.customer(crypto.randomUUID());
    expect(await rejectionOf(order(stranger, product.id))).toMatchObject({
      code: Code.PERMISSION_DENIED,
      reason: "ACCOUNT_DELETED",
    });
  });

  it("fails loudly when user-service rejects the check itself", async () => {
    const product = await mesh.createProduct();
    // A subject user-service cannot even look up: never issued by user-service.
    const malformed = await mesh.customer("not-a-uuid");
    expect(await rejectionOf(order(malformed, product.id))).toMatchObject({
      code: Code.INTERNAL,
    });
  });

  it("answers from UserDeleted events while user-service is down", async () => {
    const product = await mesh.createProduct({ stock: 5 });
    const active = await mesh.customer();
    const erased = await mesh.customer();
    await mesh.eraseAccount(erased);
    await eventually("UserDeleted to be applied", () => erasedHere(erased.ctx.user.userId));

    await mesh.stopUserService();
    try {
      expect((await order(active, product.id)).order?.status).toBe(
        OrderStatus.ORDER_STATUS_CONFIRMED,
      );
      expect(await rejectionOf(order(erased, product.id))).toMatchObject({
        code: Code.PERMISSION_DENIED,
        reason: "ACCOUNT_DELETED",
      });
    } finally {
      await mesh.restartUserService();
    }
    expect(await checks()).toMatchObject({ "fallback/active": 1, "fallback/erased": 1 });
    expect(await mesh.availableStock(product.id)).toBe(4);
  });
});

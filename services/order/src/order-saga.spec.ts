import { createServer, type Server, type Socket } from "node:net";
import { EventEnvelope, OrderCancelled } from "@shop/gen/ts/shop/events/v1/events";
import { type CreateOrderRequest, OrderStatus } from "@shop/gen/ts/shop/order/v1/order";
import { ProductServiceClient } from "@shop/gen/ts/shop/product/v1/product";
import { Code } from "@shop/libs/errors";
import { createTestClient } from "@shop/libs/testing";
import { startProductService } from "@shop/product-service";
import { startUserService } from "@shop/user-service";
import {
  eventually,
  type OrderInstance,
  type OrderTestMesh,
  rejectionOf,
  sagaRow,
  startOrderTestMesh,
} from "../test/order-test-mesh";
import { REASONS } from "./saga-steps";
import type { TestPaymentProvider } from "./test-payment-provider";

function request(productId: string, quantity: number, paymentToken = ""): CreateOrderRequest {
  return { productId, quantity, items: [], paymentToken };
}

describe("the order saga", () => {
  let mesh: OrderTestMesh;
  let payments: TestPaymentProvider;
  /** An instance whose CreateOrder stops before the first step: the order stays PENDING. */
  let paused: OrderInstance;

  beforeAll(async () => {
    mesh = await startOrderTestMesh({
      startUserService,
      startProductService,
      orderEnv: { SAGA_RECOVERY_AFTER: "0ms" },
    });
    payments = mesh.order.service.payments as TestPaymentProvider;
    paused = await mesh.startOrderInstance({ SAGA_DEADLINE: "1ms" });
  });
  afterAll(() => mesh?.stop());

  async function events(orderId: string): Promise<EventEnvelope[]> {
    const { rows } = await mesh.pool.query<{ envelope: Buffer }>(
      "SELECT envelope FROM outbox ORDER BY id",
    );
    return rows
      .map((r) => EventEnvelope.decode(r.envelope))
      .filter((e) => e.aggregateId === orderId);
  }

  it.each([
    ["tok_decline", OrderStatus.ORDER_STATUS_CANCELLED, "payment declined", "NONE"],
    ["tok_error", OrderStatus.ORDER_STATUS_FAILED, REASONS.paymentError, "NONE"],
    ["tok_timeout", OrderStatus.ORDER_STATUS_FAILED, REASONS.paymentTimeout, "VOIDED"],
    [
      "tok_unknown",
      OrderStatus.ORDER_STATUS_CANCELLED,
      "payment declined: unknown payment token",
      "NONE",
    ],
  ])(
    "%s ends the order in its final state with all stock released",
    async (token, status, reason, payment) => {
      const product = await mesh.createProduct({ stock: 5 });
      const { order } = await mesh.order.client.createOrder(
        request(product.id, 2, token),
        await mesh.customer(),
      );
      expect(order).toMatchObject({ status, statusReason: reason });
      expect(await mesh.availableStock(product.id)).toBe(5);
      expect(await sagaRow(mesh.pool, order!.id)).toMatchObject({
        saga_step: "DONE",
        stock_state: "RELEASED",
        payment_state: payment,
        payment_token: null,
      });
      const types = (await events(order!.id)).map((e) => e.type);
      expect(types).toEqual([
        "shop.events.v1.OrderCreated",
        status === OrderStatus.ORDER_STATUS_FAILED
          ? "shop.events.v1.OrderFailed"
          : "shop.events.v1.OrderCancelled",
      ]);
      if (token === "tok_timeout") {
        // The provider had authorized without answering: compensation found and voided it.
        expect(payments.ledger.get(order!.id)?.state).toBe("VOIDED");
      } else {
        expect(payments.ledger.has(order!.id)).toBe(false);
      }
    },
  );

  it("cancels an order that cannot be served from stock, reserving nothing at all", async () => {
    const plenty = await mesh.createProduct({ stock: 10 });
    const scarce = await mesh.createProduct({ stock: 1 });
    const { order } = await mesh.order.client.createOrder(
      {
        productId: "",
        quantity: 0,
        paymentToken: "",
        items: [
          { productId: plenty.id, quantity: 3 },
          { productId: scarce.id, quantity: 2 },
        ],
      },
      await mesh.customer(),
    );
    expect(order).toMatchObject({
      status: OrderStatus.ORDER_STATUS_CANCELLED,
      statusReason: `out of stock: ${scarce.name}`,
    });
    expect(await mesh.availableStock(plenty.id)).toBe(10);
    expect(await mesh.availableStock(scarce.id)).toBe(1);
    expect(payments.ledger.has(order!.id)).toBe(false);
  });

  it("refunds a cancelled CONFIRMED order and returns its stock; cancelling again changes nothing", async () => {
    const product = await mesh.createProduct({ stock: 4 });
    const as = await mesh.customer();
    const { order } = await mesh.order.client.createOrder(request(product.id, 3), as);
    expect(order?.status).toBe(OrderStatus.ORDER_STATUS_CONFIRMED);
    expect(await mesh.availableStock(product.id)).toBe(1);

    const cancelled = await mesh.order.client.cancelOrder(
      { orderId: order!.id, reason: "changed my mind" },
      as,
    );
    expect(cancelled.order).toMatchObject({
      status: OrderStatus.ORDER_STATUS_CANCELLED,
      statusReason: "changed my mind",
      total: { currencyCode: "EUR", amountMinor: 3750n },
    });
    expect(await mesh.availableStock(product.id)).toBe(4);
    expect(payments.ledger.get(order!.id)?.state).toBe("REFUNDED");
    expect(await sagaRow(mesh.pool, order!.id)).toMatchObject({
      saga_step: "DONE",
      payment_state: "REFUNDED",
      stock_state: "RETURNED",
    });
    const last = (await events(order!.id)).at(-1)!;
    expect(last.type).toBe("shop.events.v1.OrderCancelled");
    expect(OrderCancelled.decode(last.payload!.value).refunded).toBe(true);

    const again = await mesh.order.client.cancelOrder({ orderId: order!.id, reason: "" }, as);
    expect(again.order?.statusReason).toBe("changed my mind");
    expect(await mesh.availableStock(product.id)).toBe(4);
    expect((await events(order!.id)).length).toBe(3);
  });

  it("refuses to cancel a FAILED order, and validates the request", async () => {
    const product = await mesh.createProduct();
    const as = await mesh.customer();
    const { order } = await mesh.order.client.createOrder(request(product.id, 1, "tok_error"), as);
    const error = await rejectionOf(
      mesh.order.client.cancelOrder({ orderId: order!.id, reason: "" }, as),
    );
    expect(error.code).toBe(Code.FAILED_PRECONDITION);
    expect(error.message).toBe("the order is FAILED and cannot become CANCELLED");
    const long = await rejectionOf(
      mesh.order.client.cancelOrder({ orderId: order!.id, reason: "x".repeat(201) }, as),
    );
    expect(long.fieldViolations.map((v) => v.field)).toEqual(["reason"]);
    const bad = await rejectionOf(mesh.order.client.cancelOrder({ orderId: "42", reason: "" }, as));
    expect(bad.fieldViolations.map((v) => v.field)).toEqual(["order_id"]);
  });

  it("compensates a cancelled PENDING order; its reservation can no longer happen", async () => {
    const product = await mesh.createProduct({ stock: 3 });
    const as = await mesh.customer();
    const { order } = await paused.client.createOrder(request(product.id, 2), {
      ...as,
      idempotencyKey: "pending-1",
    });
    expect(order?.status).toBe(OrderStatus.ORDER_STATUS_PENDING);
    expect(order?.total).toBeUndefined();

    const cancelled = await mesh.order.client.cancelOrder({ orderId: order!.id, reason: "" }, as);
    expect(cancelled.order).toMatchObject({
      status: OrderStatus.ORDER_STATUS_CANCELLED,
      statusReason: REASONS.cancelled,
    });
    // A retry of the original request answers the cancelled order and reserves nothing.
    const replay = await mesh.order.client.createOrder(request(product.id, 2), {
      ...as,
      idempotencyKey: "pending-1",
    });
    expect(replay.order?.status).toBe(OrderStatus.ORDER_STATUS_CANCELLED);
    expect(await mesh.availableStock(product.id)).toBe(3);
  });

  it("finishes a PENDING saga left by a short deadline in the recovery loop", async () => {
    const product = await mesh.createProduct({ stock: 3 });
    const { order } = await paused.client.createOrder(
      request(product.id, 1),
      await mesh.customer(),
    );
    expect(order?.status).toBe(OrderStatus.ORDER_STATUS_PENDING);
    expect(await mesh.order.service.recovery.runOnce()).toBeGreaterThanOrEqual(1);
    const read = await mesh.order.client.getOrder({ orderId: order!.id }, await mesh.admin());
    expect(read.order?.status).toBe(OrderStatus.ORDER_STATUS_CONFIRMED);
    expect(await mesh.availableStock(product.id)).toBe(2);
  });

  it("never lets two instances recover the same saga", async () => {
    // Started first: its own pass at start-up finds nothing to do.
    const other = await mesh.startOrderInstance({ SAGA_RECOVERY_AFTER: "0ms" });
    try {
      const product = await mesh.createProduct({ stock: 50 });
      const as = await mesh.customer();
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) {
        ids.push((await paused.client.createOrder(request(product.id, 1), as)).order!.id);
      }
      // Both scan at once; their claims skip each other's locked and leased rows.
      const [a, b] = await Promise.all([
        mesh.order.service.recovery.runOnce(),
        other.service.recovery.runOnce(),
      ]);
      expect(a + b).toBeGreaterThanOrEqual(12);
      const { rows } = await mesh.pool.query<{ status: string; saga_runs: number }>(
        "SELECT status, saga_runs FROM orders WHERE id = ANY($1::uuid[])",
        [ids],
      );
      // One run at creation (it stopped at once), exactly one recovery run.
      expect(rows.map((r) => [r.status, r.saga_runs])).toEqual(ids.map(() => ["CONFIRMED", 2]));
      expect(await mesh.availableStock(product.id)).toBe(38);
    } finally {
      await other.stop();
    }
  });

  it("returns stock whose commit happened although its answer was lost", async () => {
    const product = await mesh.createProduct({ stock: 6 });
    const as = await mesh.customer();
    const { order } = await paused.client.createOrder(request(product.id, 2), as);
    // What product-service did before the answer was lost: reserved and committed.
    const asOrderService = await createTestClient(ProductServiceClient, {
      port: mesh.productGrpcPort,
      upstream: "product-service",
      as: "order-service",
    });
    try {
      await asOrderService.reserveStock({
        orderId: order!.id,
        items: [{ productId: product.id, quantity: 2 }],
      });
      await asOrderService.commitStock({ orderId: order!.id });
    } finally {
      asOrderService.close();
    }
    expect(await mesh.availableStock(product.id)).toBe(4);
    // What the saga recorded: CommitStock timed out, so it compensates.
    await mesh.pool.query(
      `UPDATE orders SET saga_step = 'COMPENSATE', outcome_status = 'FAILED',
              status_reason = $2, stock_state = 'RESERVED', lease_until = NULL
        WHERE id = $1`,
      [order!.id, REASONS.inventoryDown],
    );
    await mesh.order.service.recovery.runOnce();
    const read = await mesh.order.client.getOrder({ orderId: order!.id }, as);
    expect(read.order?.status).toBe(OrderStatus.ORDER_STATUS_FAILED);
    // ReleaseStock answered "committed", so the stock was returned instead.
    expect(await sagaRow(mesh.pool, order!.id)).toMatchObject({ stock_state: "RETURNED" });
    expect(await mesh.availableStock(product.id)).toBe(6);
  });

  it("fails an order cleanly when product-service does not answer in time", async () => {
    const sockets = new Set<Socket>();
    // Accepts connections and never answers: a hung product-service.
    const blackhole: Server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => blackhole.listen(0, "127.0.0.1", resolve));
    const port = (blackhole.address() as { port: number }).port;
    const hung = await mesh.startOrderInstance({
      PRODUCT_SERVICE_ADDR: `127.0.0.1:${port}`,
      PRODUCT_CALL_TIMEOUT: "300ms",
    });
    try {
      const product = await mesh.createProduct();
      const as = await mesh.customer();
      const error = await rejectionOf(
        hung.client.createOrder(request(product.id, 1), { ...as, timeoutMs: 5_000 }),
      );
      expect(error.code).toBe(Code.UNAVAILABLE);

      // A saga whose ReserveStock hangs is compensated and FAILED, not left hanging.
      const { order } = await paused.client.createOrder(request(product.id, 1), {
        ...as,
        idempotencyKey: "hung-1",
      });
      const replay = await hung.client.createOrder(request(product.id, 1), {
        ...as,
        idempotencyKey: "hung-1",
        timeoutMs: 1_500,
      });
      expect(replay.order).toMatchObject({
        id: order!.id,
        status: OrderStatus.ORDER_STATUS_PENDING,
      });
      expect(replay.order?.statusReason).toBe(REASONS.inventoryDown);
      expect((await sagaRow(mesh.pool, order!.id))?.saga_step).toBe("COMPENSATE");
      // Compensation (ReleaseStock) is retried by a run that can reach product-service.
      await mesh.pool.query("UPDATE orders SET lease_until = NULL WHERE id = $1", [order!.id]);
      await mesh.order.service.recovery.runOnce();
      const read = await mesh.order.client.getOrder({ orderId: order!.id }, as);
      expect(read.order).toMatchObject({
        status: OrderStatus.ORDER_STATUS_FAILED,
        statusReason: REASONS.inventoryDown,
      });
      expect(await mesh.availableStock(product.id)).toBe(10);
    } finally {
      await hung.stop();
      for (const socket of sockets) socket.destroy();
      blackhole.close();
    }
  });

  it("keeps retrying compensation while product-service is down, then completes it", async () => {
    const product = await mesh.createProduct({ stock: 2 });
    const as = await mesh.customer();
    const { order } = await paused.client.createOrder(request(product.id, 1), as);
    await mesh.stopProductService();
    try {
      expect(await mesh.order.service.recovery.runOnce()).toBe(1);
      expect(await sagaRow(mesh.pool, order!.id)).toMatchObject({ saga_step: "COMPENSATE" });
    } finally {
      await mesh.restartProductService();
    }
    // Each pass retries the compensation until product-service answers again.
    const read = await eventually("the compensation to complete", async () => {
      await mesh.pool.query("UPDATE orders SET lease_until = NULL WHERE id = $1", [order!.id]);
      await mesh.order.service.recovery.runOnce();
      const { order: current } = await mesh.order.client.getOrder({ orderId: order!.id }, as);
      return current?.status === OrderStatus.ORDER_STATUS_FAILED && current;
    });
    expect(read.statusReason).toBe(REASONS.inventoryDown);
    expect(await eventually("stock", () => mesh.availableStock(product.id))).toBe(2);
  });
});

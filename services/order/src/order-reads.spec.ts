import { randomUUID } from "node:crypto";
import { UserDeleted } from "@shop/gen/ts/shop/events/v1/events";
import { OrderStatus, type WatchOrderResponse } from "@shop/gen/ts/shop/order/v1/order";
import { Code } from "@shop/libs/errors";
import { buildEnvelope, encodeEnvelope, eventStream, packEvent } from "@shop/libs/events";
import { startProductService } from "@shop/product-service";
import { startUserService } from "@shop/user-service";
import {
  type CallAs,
  eventually,
  type OrderTestMesh,
  rejectionOf,
  startOrderTestMesh,
} from "../test/order-test-mesh";

describe("reading and watching orders", () => {
  let mesh: OrderTestMesh;
  let productId: string;

  beforeAll(async () => {
    mesh = await startOrderTestMesh({ startProductService, startUserService });
    productId = (await mesh.createProduct({ stock: 1_000 })).id;
  });
  afterAll(() => mesh?.stop());

  async function place(as: CallAs, paymentToken = "") {
    const { order } = await mesh.order.client.createOrder(
      { productId, quantity: 1, items: [], paymentToken },
      as,
    );
    return order!;
  }

  it("shows a customer their own order and nobody else's", async () => {
    const owner = await mesh.customer();
    const stranger = await mesh.customer();
    const order = await place(owner);
    const read = await mesh.order.client.getOrder({ orderId: order.id }, owner);
    expect(read.order).toEqual(order);

    const missing = await rejectionOf(mesh.order.client.getOrder({ orderId: randomUUID() }, owner));
    const hidden = await rejectionOf(mesh.order.client.getOrder({ orderId: order.id }, stranger));
    // Indistinguishable from an order that does not exist.
    expect(hidden.code).toBe(Code.NOT_FOUND);
    expect(missing.code).toBe(Code.NOT_FOUND);
    expect(hidden.message).toBe(`order ${order.id} not found`);
    for (const call of [
      mesh.order.client.cancelOrder({ orderId: order.id, reason: "" }, stranger),
      (async () => {
        for await (const _ of mesh.order.client.watchOrder({ orderId: order.id }, stranger)) {
          // no message may arrive
        }
      })(),
    ]) {
      expect((await rejectionOf(call)).code).toBe(Code.NOT_FOUND);
    }
    const bad = await rejectionOf(mesh.order.client.getOrder({ orderId: "" }, owner));
    expect(bad.fieldViolations.map((v) => v.field)).toEqual(["order_id"]);
  });

  it("lets admins read any order but not cancel someone else's", async () => {
    const owner = await mesh.customer();
    const order = await place(owner);
    const admin = await mesh.admin();
    expect((await mesh.order.client.getOrder({ orderId: order.id }, admin)).order?.id).toBe(
      order.id,
    );
    const cancel = await rejectionOf(
      mesh.order.client.cancelOrder({ orderId: order.id, reason: "" }, admin),
    );
    expect(cancel.code).toBe(Code.PERMISSION_DENIED);
    const listed = await mesh.order.client.listOrders(
      { pageSize: 0, pageToken: "", userId: owner.ctx.user.userId },
      admin,
    );
    expect(listed.orders.map((o) => o.id)).toEqual([order.id]);
    const denied = await rejectionOf(
      mesh.order.client.listOrders(
        { pageSize: 0, pageToken: "", userId: owner.ctx.user.userId },
        await mesh.customer(),
      ),
    );
    expect(denied.code).toBe(Code.PERMISSION_DENIED);
  });

  it("lists the caller's orders newest first, page by page", async () => {
    const as = await mesh.customer();
    const placed: string[] = [];
    for (let i = 0; i < 5; i++) placed.push((await place(as)).id);
    await place(await mesh.customer());
    const seen: string[] = [];
    let pageToken = "";
    let pages = 0;
    do {
      const page = await mesh.order.client.listOrders({ pageSize: 2, pageToken, userId: "" }, as);
      seen.push(...page.orders.map((o) => o.id));
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken !== "");
    expect(seen).toEqual([...placed].reverse());
    expect(pages).toBe(3);
    const all = await mesh.order.client.listOrders(
      { pageSize: 0, pageToken: "", userId: as.ctx.user.userId },
      as,
    );
    expect(all.orders).toHaveLength(5);
    expect(all.nextPageToken).toBe("");

    for (const [fields, field] of [
      [{ pageSize: 101 }, "page_size"],
      [{ pageSize: -1 }, "page_size"],
      [{ pageToken: "garbage!" }, "page_token"],
      [{ pageToken: Buffer.from("o1.0").toString("base64url") }, "page_token"],
    ] as const) {
      const error = await rejectionOf(
        mesh.order.client.listOrders({ pageSize: 0, pageToken: "", userId: "", ...fields }, as),
      );
      expect(error.fieldViolations.map((v) => v.field)).toEqual([field]);
    }
  });

  it("streams PENDING then CONFIRMED to a watcher on another instance", async () => {
    const paused = await mesh.startOrderInstance({
      SAGA_DEADLINE: "1ms",
      SAGA_RECOVERY_AFTER: "1h",
      // No periodic re-read: only the tail subscription can deliver the change.
      WATCH_RESYNC_INTERVAL: "1h",
    });
    try {
      const as = await mesh.customer();
      const { order } = await paused.client.createOrder(
        { productId, quantity: 1, items: [], paymentToken: "" },
        { ...as, idempotencyKey: "watch-me" },
      );
      expect(order?.status).toBe(OrderStatus.ORDER_STATUS_PENDING);

      const seen: WatchOrderResponse[] = [];
      const stream = paused.client.watchOrder({ orderId: order!.id }, as)[Symbol.asyncIterator]();
      const first = await stream.next();
      seen.push(first.value!);
      // The first instance finishes the saga (a retry of the request drives it).
      const done = await mesh.order.client.createOrder(
        { productId, quantity: 1, items: [], paymentToken: "" },
        { ...as, idempotencyKey: "watch-me" },
      );
      expect(done.order?.status).toBe(OrderStatus.ORDER_STATUS_CONFIRMED);
      for (let next = await stream.next(); !next.done; next = await stream.next()) {
        seen.push(next.value);
      }
      expect(seen.map((m) => m.order?.status)).toEqual([
        OrderStatus.ORDER_STATUS_PENDING,
        OrderStatus.ORDER_STATUS_CONFIRMED,
      ]);
      expect(seen[1]?.order?.total).toEqual({ currencyCode: "EUR", amountMinor: 1250n });
      expect(paused.service.watchHub.size()).toBe(0);
    } finally {
      await paused.stop();
    }
  });

  it("ends a watch of a final order after one message", async () => {
    const as = await mesh.customer();
    const order = await place(as, "tok_decline");
    const messages: WatchOrderResponse[] = [];
    for await (const message of mesh.order.client.watchOrder({ orderId: order.id }, as)) {
      messages.push(message);
    }
    expect(messages.map((m) => m.order?.status)).toEqual([OrderStatus.ORDER_STATUS_CANCELLED]);
  });

  it("anonymises a deleted user's orders when UserDeleted arrives", async () => {
    const gone = await mesh.customer();
    const stays = await mesh.customer();
    const orders = [await place(gone, "tok_decline"), await place(gone)];
    await mesh.order.client.createOrder(
      { productId, quantity: 1, items: [], paymentToken: "" },
      { ...gone, idempotencyKey: "erase-me" },
    );
    const kept = await place(stays);
    const userId = gone.ctx.user.userId;
    await mesh.order.service.runtime.infrastructure.bus.publish(
      eventStream("user-service"),
      encodeEnvelope(
        buildEnvelope({
          producer: "user-service",
          aggregateId: userId,
          ...packEvent(UserDeleted, "shop.events.v1.UserDeleted", {
            userId,
            deleteTime: new Date(),
          }),
        }),
      ),
    );
    const admin = await mesh.admin();
    await eventually("the orders to be anonymised", async () => {
      const { order } = await mesh.order.client.getOrder({ orderId: orders[0]!.id }, admin);
      return order?.userId === "";
    });
    for (const { id } of orders) {
      const { order } = await mesh.order.client.getOrder({ orderId: id }, admin);
      expect(order?.userId).toBe("");
      expect((await rejectionOf(mesh.order.client.getOrder({ orderId: id }, gone))).code).toBe(
        Code.NOT_FOUND,
      );
    }
    const listed = await mesh.order.client.listOrders(
      { pageSize: 0, pageToken: "", userId: "" },
      gone,
    );
    expect(listed.orders).toEqual([]);
    const keys = await mesh.pool.query("SELECT 1 FROM idempotency_keys WHERE user_id = $1", [
      userId,
    ]);
    expect(keys.rowCount).toBe(0);
    expect((await mesh.order.client.getOrder({ orderId: kept.id }, stays)).order?.userId).toBe(
      stays.ctx.user.userId,
    );
  });
});

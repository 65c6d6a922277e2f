/**
 * The events order-service publishes, written to the outbox in the transaction of the
 * state change they describe (so one is published if and only if the change commits).
 * They also feed WatchOrder on every instance through the bus's tail subscription.
 */
import {
  OrderCancelled,
  OrderConfirmed,
  OrderCreated,
  OrderFailed,
} from "@shop/gen/ts/shop/events/v1/events";
import { packEvent, writeEvent } from "@shop/libs/events";
import type { PoolClient } from "pg";
import { type OrderRecord, orderToProto } from "./order-record";

export type OrderEvent =
  | { type: "OrderCreated" }
  | { type: "OrderConfirmed" }
  | { type: "OrderCancelled"; refunded: boolean }
  | { type: "OrderFailed" };

/** Full message names of the events this service publishes. */
export const ORDER_EVENT_TYPES = [
  "shop.events.v1.OrderCreated",
  "shop.events.v1.OrderConfirmed",
  "shop.events.v1.OrderCancelled",
  "shop.events.v1.OrderFailed",
] as const;

/** Adds `event` about `order` (as it is after the change) to the outbox of `client`'s transaction. */
export async function writeOrderEvent(
  client: PoolClient,
  event: OrderEvent,
  order: OrderRecord,
): Promise<string> {
  const message = orderToProto(order);
  const packed = (() => {
    switch (event.type) {
      case "OrderCreated":
        return packEvent(OrderCreated, "shop.events.v1.OrderCreated", { order: message });
      case "OrderConfirmed":
        return packEvent(OrderConfirmed, "shop.events.v1.OrderConfirmed", { order: message });
      case "OrderCancelled":
        return packEvent(OrderCancelled, "shop.events.v1.OrderCancelled", {
          order: message,
          refunded: event.refunded,
        });
      case "OrderFailed":
        return packEvent(OrderFailed, "shop.events.v1.OrderFailed", { order: message });
    }
  })();
  return writeEvent(client, { producer: "order-service", aggregateId: order.id, ...packed });
}

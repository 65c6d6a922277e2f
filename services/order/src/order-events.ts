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
import { type EnvelopeInput, packEvent } from "@shop/libs/events";
import { type OrderView, orderToProto } from "./order-record";

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

/**
 * The outbox entry of `event` about `order` as it is after the change; the repository
 * writes it in the statement (or transaction) of that change.
 */
export function orderEventInput(event: OrderEvent, order: OrderView): EnvelopeInput {
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
  return { producer: "order-service", aggregateId: order.id, ...packed };
}

/**
 * WatchOrder: the order now, then again after each status change, ending after a final
 * status. The tail subscription is in place before the order is first read, so no
 * change can fall between the read and the subscription; every event about the order
 * (from any instance) makes the stream read the order again.
 */
import type { WatchOrderRequest, WatchOrderResponse } from "@shop/gen/ts/shop/order/v1/order";
import type { CallContext } from "@shop/libs/grpc";
import { callerOf, canRead, findReadableOrder } from "./order-access";
import { isFinalStatus, orderToProto } from "./order-record";
import type { OrderRepository } from "./order-repository";
import { parseOrderId } from "./order-request";
import type { OrderWatchHub } from "./order-watch-hub";

export interface WatchOrderOptions {
  repository: OrderRepository;
  hub: OrderWatchHub;
  /** Re-read the order this often anyway: a tail has no redelivery of missed entries. */
  resyncMs: number;
}

export function createWatchOrder(options: WatchOrderOptions) {
  const { repository, hub } = options;
  return async function* watchOrder(
    request: WatchOrderRequest,
    ctx: CallContext,
  ): AsyncGenerator<WatchOrderResponse> {
    const orderId = parseOrderId(request.orderId);
    const user = callerOf(ctx);
    await findReadableOrder(repository, orderId, user);
    const watch = await hub.watch(orderId);
    try {
      let sent: string | undefined;
      while (!ctx.signal.aborted) {
        const order = await repository.get(orderId);
        // Erased meanwhile (the customer deleted their account): nothing more to show.
        if (!order || !canRead(order, user)) return;
        if (order.status !== sent) {
          sent = order.status;
          yield { order: orderToProto(order) };
        }
        if (isFinalStatus(order.status)) return;
        await watch.changed(options.resyncMs, ctx.signal);
      }
    } finally {
      watch.close();
    }
  };
}

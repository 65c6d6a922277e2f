/**
 * CancelOrder by the customer. A PENDING order is marked for cancellation and its saga
 * compensates (driven here, or by the run that holds it); a CONFIRMED one is refunded
 * and its stock returned. Idempotent on CANCELLED; FAILED cannot be cancelled.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { CancelOrderRequest } from "@shop/gen/ts/shop/order/v1/order";
import type { CallContext } from "@shop/libs/grpc";
import { callerOf, findOwnOrder } from "./order-access";
import type { OrderPlacement } from "./order-placement";
import type { OrderRecord } from "./order-record";
import type { OrderRepository } from "./order-repository";
import { parseCancelReason, parseOrderId } from "./order-request";
import type { OrderSaga } from "./order-saga";
import { assertTransition } from "./order-state-machine";
import type { SagaLeases } from "./saga-leases";
import { REASONS } from "./saga-steps";

const RETRY_MS = 25;

export interface OrderCancellationOptions {
  repository: OrderRepository;
  leases: SagaLeases;
  saga: OrderSaga;
  placement: OrderPlacement;
}

export type CancelOrder = (request: CancelOrderRequest, ctx: CallContext) => Promise<OrderRecord>;

export function createOrderCancellation(options: OrderCancellationOptions): CancelOrder {
  const { repository, leases, saga, placement } = options;

  return async (request, ctx) => {
    const orderId = parseOrderId(request.orderId);
    const reason = parseCancelReason(request.reason) || REASONS.cancelled;
    let order = await findOwnOrder(repository, orderId, callerOf(ctx));
    const deadline = placement.deadlineOf(ctx);
    for (;;) {
      if (order.status === "CANCELLED") return order;
      // FAILED -> CANCELLED is refused here, with the order's state in the error.
      assertTransition(order.status, "CANCELLED");
      if (order.status === "PENDING") {
        await repository.requestCancel(orderId, reason);
        order = await placement.settle(orderId, deadline, ctx);
        // Confirmed before the request was seen: cancel the confirmed order instead.
        if (order.status !== "CONFIRMED") return order;
      } else if (order.sagaStep === "DONE") {
        const owner = randomUUID();
        const claimed = await leases.claimRefund(orderId, owner, reason, saga.leaseMs);
        if (claimed) {
          ctx.logger.info({ orderId }, "refunding a confirmed order");
          await saga.drive(orderId, { deadline, leaseOwner: owner, requestId: ctx.requestId });
          return placement.settle(orderId, deadline, ctx);
        }
      } else {
        // A refund is already under way.
        return placement.settle(orderId, deadline, ctx);
      }
      if (Date.now() >= deadline || ctx.signal.aborted) return order;
      // The run that confirmed it still holds its lease for a moment.
      await sleep(RETRY_MS);
      order = (await repository.get(orderId)) ?? order;
    }
  };
}

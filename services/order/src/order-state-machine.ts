/**
 * The order's state machine: its statuses, the transitions allowed between them, and
 * the saga's next action as a pure function of the persisted order. The saga driver
 * (order-saga.ts) only ever performs what `nextSagaAction` names, so a run resumed
 * after a crash does exactly what the interrupted one would have done next.
 */
import { ServiceError } from "@shop/libs/errors";

export type OrderStatus = "PENDING" | "CONFIRMED" | "CANCELLED" | "FAILED";
/** The next step of the saga; DONE when no work is left. */
export type SagaStep =
  | "RESERVE_STOCK"
  | "AUTHORIZE_PAYMENT"
  | "COMMIT_STOCK"
  | "COMPENSATE"
  | "REFUND"
  | "DONE";
export type PaymentState = "NONE" | "UNKNOWN" | "AUTHORIZED" | "VOIDED" | "REFUNDED";
export type StockState = "NONE" | "RESERVED" | "COMMITTED" | "RELEASED" | "RETURNED";
/** The final status a compensation ends in. */
export type Outcome = "CANCELLED" | "FAILED";

/** Every allowed status change; anything else is FAILED_PRECONDITION. */
const TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  PENDING: ["CONFIRMED", "CANCELLED", "FAILED"],
  // Cancelling a confirmed order refunds it.
  CONFIRMED: ["CANCELLED"],
  CANCELLED: [],
  FAILED: [],
};

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Throws FAILED_PRECONDITION naming both states when `from -> to` is not allowed. */
export function assertTransition(from: OrderStatus, to: OrderStatus): void {
  if (!canTransition(from, to)) {
    throw ServiceError.failedPrecondition(`the order is ${from} and cannot become ${to}`, [
      { type: "ORDER_STATUS", subject: from, description: `${from} -> ${to} is not allowed` },
    ]);
  }
}

/** The part of an order the saga decides on. */
export interface SagaState {
  readonly status: OrderStatus;
  readonly sagaStep: SagaStep;
  readonly outcomeStatus: Outcome | null;
  readonly cancelRequested: boolean;
  readonly paymentState: PaymentState;
  readonly stockState: StockState;
}

export type SagaAction =
  | { kind: "RESERVE_STOCK" }
  | { kind: "AUTHORIZE_PAYMENT" }
  | { kind: "COMMIT_STOCK" }
  /** The customer asked to cancel before the order was confirmed. */
  | { kind: "START_CANCELLATION" }
  | { kind: "VOID_PAYMENT" }
  | { kind: "RELEASE_STOCK" }
  | { kind: "REFUND_PAYMENT" }
  | { kind: "RETURN_STOCK" }
  /** Compensation or refund is complete: apply the final status. */
  | { kind: "FINISH"; status: Outcome }
  | { kind: "NONE" };

/**
 * What the saga does next. Compensation runs in reverse order of the forward steps:
 * the payment first (void), then the stock (release, or return once committed).
 */
export function nextSagaAction(order: SagaState): SagaAction {
  switch (order.sagaStep) {
    case "DONE":
      return { kind: "NONE" };
    case "RESERVE_STOCK":
    case "AUTHORIZE_PAYMENT":
    case "COMMIT_STOCK":
      if (order.status !== "PENDING") return { kind: "NONE" };
      if (order.cancelRequested) return { kind: "START_CANCELLATION" };
      return { kind: order.sagaStep };
    case "COMPENSATE":
      if (order.paymentState === "AUTHORIZED" || order.paymentState === "UNKNOWN") {
        return { kind: "VOID_PAYMENT" };
      }
      // NONE too: a reservation whose answer was lost may exist, and releasing an
      // unknown order id makes a late ReserveStock reserve nothing.
      if (order.stockState === "NONE" || order.stockState === "RESERVED") {
        return { kind: "RELEASE_STOCK" };
      }
      if (order.stockState === "COMMITTED") return { kind: "RETURN_STOCK" };
      return { kind: "FINISH", status: order.outcomeStatus ?? "FAILED" };
    case "REFUND":
      if (order.paymentState === "AUTHORIZED") return { kind: "REFUND_PAYMENT" };
      if (order.stockState === "COMMITTED") return { kind: "RETURN_STOCK" };
      return { kind: "FINISH", status: "CANCELLED" };
  }
}

/** Whether a saga still has work to do (PENDING, or a confirmed order being refunded). */
export function sagaHasWork(order: Pick<SagaState, "sagaStep">): boolean {
  return order.sagaStep !== "DONE";
}

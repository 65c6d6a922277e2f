/**
 * The life of an order's reservation:
 *
 *   RESERVED --release--> RELEASED
 *   RESERVED --expiry---> EXPIRED      (the sweeper, or a commit that comes too late)
 *   RESERVED --commit---> COMMITTED --return--> RETURNED
 *
 * Every action is idempotent: asked again in the state it leads to (or a later one on
 * the same path) it answers that state and moves nothing. An action out of order is
 * FAILED_PRECONDITION, with ErrorInfo reason RESERVATION_<STATE> so callers can tell
 * the cases apart.
 */
import { Code, ServiceError } from "@shop/libs/errors";
import type { StockReason } from "./product-events";

export const RESERVATION_STATES = [
  "RESERVED",
  "RELEASED",
  "COMMITTED",
  "RETURNED",
  "EXPIRED",
] as const;
export type ReservationStateName = (typeof RESERVATION_STATES)[number];

export type SettleAction = "release" | "commit" | "return" | "expire";

/** The stock movements that settle a reservation. */
export type SettleReason = Exclude<StockReason, "RESERVED" | "ADJUSTED">;

/** What an action does to a reservation in a given state. */
export type SettlePlan =
  | { kind: "move"; to: ReservationStateName; reason: SettleReason }
  | { kind: "done" }
  | { kind: "refuse"; error: ServiceError };

/** FAILED_PRECONDITION for an action the reservation's state does not allow. */
export function stateConflict(
  orderId: string,
  state: ReservationStateName,
  why: string,
): ServiceError {
  return new ServiceError(
    Code.FAILED_PRECONDITION,
    `reservation of order ${orderId} is ${state}: ${why}`,
    {
      preconditionViolations: [
        { type: "RESERVATION_STATE", subject: orderId, description: `reservation is ${state}` },
      ],
      reason: `RESERVATION_${state}`,
    },
  );
}

const refuse = (orderId: string, state: ReservationStateName, why: string): SettlePlan => ({
  kind: "refuse",
  error: stateConflict(orderId, state, why),
});

export function planSettle(
  action: SettleAction,
  state: ReservationStateName,
  orderId: string,
): SettlePlan {
  switch (action) {
    case "release":
      if (state === "RESERVED") return { kind: "move", to: "RELEASED", reason: "RELEASED" };
      if (state === "RELEASED" || state === "EXPIRED") return { kind: "done" };
      return refuse(orderId, state, "committed stock is put back with ReturnStock");
    case "commit":
      if (state === "RESERVED") return { kind: "move", to: "COMMITTED", reason: "COMMITTED" };
      if (state === "COMMITTED" || state === "RETURNED") return { kind: "done" };
      return refuse(orderId, state, "its stock was returned to sale; reserve again");
    case "return":
      if (state === "COMMITTED") return { kind: "move", to: "RETURNED", reason: "RETURNED" };
      if (state === "RETURNED") return { kind: "done" };
      return refuse(orderId, state, "only committed stock can be returned");
    case "expire":
      if (state === "RESERVED") return { kind: "move", to: "EXPIRED", reason: "EXPIRED" };
      return { kind: "done" };
  }
}

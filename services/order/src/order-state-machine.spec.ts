import { Code } from "@shop/libs/errors";
import {
  assertTransition,
  canTransition,
  nextSagaAction,
  type OrderStatus,
  type SagaState,
} from "./order-state-machine";

const STATUSES: OrderStatus[] = ["PENDING", "CONFIRMED", "CANCELLED", "FAILED"];

function state(overrides: Partial<SagaState>): SagaState {
  return {
    status: "PENDING",
    sagaStep: "RESERVE_STOCK",
    outcomeStatus: null,
    cancelRequested: false,
    paymentState: "NONE",
    stockState: "NONE",
    ...overrides,
  };
}

describe("order status transitions", () => {
  it("allow exactly PENDING -> final and CONFIRMED -> CANCELLED", () => {
    const allowed = STATUSES.flatMap((from) =>
      STATUSES.filter((to) => canTransition(from, to)).map((to) => `${from}->${to}`),
    );
    expect(allowed).toEqual([
      "PENDING->CONFIRMED",
      "PENDING->CANCELLED",
      "PENDING->FAILED",
      "CONFIRMED->CANCELLED",
    ]);
  });

  it("refuse anything else with FAILED_PRECONDITION naming both states", () => {
    for (const [from, to] of [
      ["FAILED", "CANCELLED"],
      ["CANCELLED", "CONFIRMED"],
      ["CONFIRMED", "PENDING"],
      ["PENDING", "PENDING"],
    ] as const) {
      expect(() => assertTransition(from, to)).toThrow(
        expect.objectContaining({
          code: Code.FAILED_PRECONDITION,
          message: `the order is ${from} and cannot become ${to}`,
        }),
      );
    }
    expect(() => assertTransition("CONFIRMED", "CANCELLED")).not.toThrow();
  });
});

describe("the saga's next action", () => {
  it("runs the forward steps in order while PENDING", () => {
    expect(nextSagaAction(state({})).kind).toBe("RESERVE_STOCK");
    expect(nextSagaAction(state({ sagaStep: "AUTHORIZE_PAYMENT" })).kind).toBe("AUTHORIZE_PAYMENT");
    expect(nextSagaAction(state({ sagaStep: "COMMIT_STOCK" })).kind).toBe("COMMIT_STOCK");
    expect(nextSagaAction(state({ sagaStep: "DONE", status: "CONFIRMED" })).kind).toBe("NONE");
    // A forward step on an order that is no longer PENDING is never run.
    expect(nextSagaAction(state({ sagaStep: "COMMIT_STOCK", status: "FAILED" })).kind).toBe("NONE");
  });

  it("turns to compensation at any forward step once a cancel is requested", () => {
    for (const sagaStep of ["RESERVE_STOCK", "AUTHORIZE_PAYMENT", "COMMIT_STOCK"] as const) {
      expect(nextSagaAction(state({ sagaStep, cancelRequested: true })).kind).toBe(
        "START_CANCELLATION",
      );
    }
  });

  it("compensates in reverse: the payment first, then the stock, then the final status", () => {
    const compensating = (overrides: Partial<SagaState>) =>
      nextSagaAction(state({ sagaStep: "COMPENSATE", outcomeStatus: "CANCELLED", ...overrides }));
    expect(compensating({ paymentState: "AUTHORIZED", stockState: "RESERVED" }).kind).toBe(
      "VOID_PAYMENT",
    );
    // Unknown (a timeout): look the authorization up and void it.
    expect(compensating({ paymentState: "UNKNOWN", stockState: "RESERVED" }).kind).toBe(
      "VOID_PAYMENT",
    );
    expect(compensating({ paymentState: "VOIDED", stockState: "RESERVED" }).kind).toBe(
      "RELEASE_STOCK",
    );
    // Never answered: release anyway, so a late reservation reserves nothing.
    expect(compensating({ stockState: "NONE" }).kind).toBe("RELEASE_STOCK");
    expect(compensating({ stockState: "COMMITTED" }).kind).toBe("RETURN_STOCK");
    expect(compensating({ stockState: "RELEASED" })).toEqual({
      kind: "FINISH",
      status: "CANCELLED",
    });
    expect(compensating({ stockState: "RETURNED", outcomeStatus: "FAILED" })).toEqual({
      kind: "FINISH",
      status: "FAILED",
    });
  });

  it("refunds a confirmed order: the payment, then the stock, then CANCELLED", () => {
    const refunding = (overrides: Partial<SagaState>) =>
      nextSagaAction(state({ status: "CONFIRMED", sagaStep: "REFUND", ...overrides }));
    expect(refunding({ paymentState: "AUTHORIZED", stockState: "COMMITTED" }).kind).toBe(
      "REFUND_PAYMENT",
    );
    expect(refunding({ paymentState: "REFUNDED", stockState: "COMMITTED" }).kind).toBe(
      "RETURN_STOCK",
    );
    expect(refunding({ paymentState: "REFUNDED", stockState: "RETURNED" })).toEqual({
      kind: "FINISH",
      status: "CANCELLED",
    });
  });
});

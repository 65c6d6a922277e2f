/**
 * The saga's steps: each calls one dependency and turns its answer into the change to
 * persist, or into undefined when the step was interrupted and must be repeated by a
 * later run. Forward steps that fail start compensation with the final status and a
 * reason the customer can read; compensation steps that fail are simply retried.
 */
import { Code } from "@shop/libs/errors";
import { priceOrder } from "./order-pricing";
import type { OrderRecord } from "./order-record";
import type { SagaChange, SagaFields } from "./order-repository";
import type { Outcome, SagaAction } from "./order-state-machine";
import type { PaymentProvider } from "./payment-provider";
import type { ProductInventory, StepCall } from "./product-inventory";
import { classifyStepFailure, describeError, errorName, type StepBudget } from "./saga-step-call";

export interface StepContext {
  readonly order: OrderRecord;
  readonly budget: StepBudget;
  /** Aborted when the service stops. */
  readonly signal: AbortSignal;
  readonly requestId?: string;
}

export interface SagaSteps {
  /** The step's own timeout; 0 for steps that call nothing. */
  timeoutOf(action: SagaAction): number;
  perform(action: SagaAction, context: StepContext): Promise<SagaChange | undefined>;
}

/** Customer-readable reasons. */
export const REASONS = {
  declined: "payment declined",
  paymentError: "the payment could not be processed: the payment provider reported an error",
  paymentTimeout: "the payment provider did not answer in time; nothing was charged",
  inventoryDown: "the inventory service is unavailable; nothing was charged",
  reservationLost: "the stock reservation expired before the order completed; nothing was charged",
  productGone: "a product in the order is no longer available",
  rejected: "the order was rejected by the inventory service",
  cancelled: "cancelled by the customer",
} as const;

function compensate(
  step: string,
  outcome: Outcome,
  reason: string,
  detail: string,
  extra: SagaFields = {},
): SagaChange {
  return {
    log: { step, outcome: "FAILED", detail },
    set: { ...extra, sagaStep: "COMPENSATE", outcomeStatus: outcome, statusReason: reason },
  };
}

/** "out of stock: A, B" (and "not for sale: C") from product-service's violations. */
function stockRefusalReason(
  order: OrderRecord,
  violations: readonly { type: string; subject: string }[],
): string {
  const nameOf = (id: string) => {
    const item = order.items.find((i) => i.productId === id);
    return item?.productName || id;
  };
  const parts: string[] = [];
  const short = violations
    .filter((v) => v.type !== "PRODUCT_INACTIVE")
    .map((v) => nameOf(v.subject));
  const inactive = violations
    .filter((v) => v.type === "PRODUCT_INACTIVE")
    .map((v) => nameOf(v.subject));
  if (short.length > 0 || inactive.length === 0) {
    parts.push(short.length > 0 ? `out of stock: ${short.join(", ")}` : "out of stock");
  }
  if (inactive.length > 0) parts.push(`not for sale: ${inactive.join(", ")}`);
  return parts.join("; ");
}

export function createSagaSteps(deps: {
  inventory: ProductInventory;
  payments: PaymentProvider;
  timeouts: { productCallMs: number; paymentCallMs: number };
}): SagaSteps {
  const { inventory, payments, timeouts } = deps;
  const stepCall = (c: StepContext): StepCall => ({
    timeoutMs: c.budget.timeoutMs,
    signal: c.signal,
    ...(c.requestId ? { requestId: c.requestId } : {}),
  });
  const paymentCall = (c: StepContext) => ({
    signal: AbortSignal.any([c.signal, AbortSignal.timeout(c.budget.timeoutMs)]),
  });

  /** Compensation calls: any failure leaves the step for a later run. */
  async function retried(
    c: StepContext,
    step: string,
    call: () => Promise<SagaChange>,
  ): Promise<SagaChange | undefined> {
    try {
      return await call();
    } catch (error) {
      if (c.signal.aborted) return undefined;
      throw new CompensationStepError(step, error);
    }
  }

  async function reserve(c: StepContext): Promise<SagaChange | undefined> {
    const { order } = c;
    try {
      const reservation = await inventory.reserve(order.id, order.items, stepCall(c));
      if (reservation.state !== "RESERVED" && reservation.state !== "COMMITTED") {
        return compensate("RESERVE_STOCK", "FAILED", REASONS.reservationLost, reservation.state);
      }
      const priced = priceOrder(order.items, reservation.items);
      if (!priced.ok) {
        return compensate("RESERVE_STOCK", "CANCELLED", priced.reason, "pricing", {
          stockState: "RESERVED",
        });
      }
      return {
        log: { step: "RESERVE_STOCK", outcome: "OK" },
        set: {
          sagaStep: "AUTHORIZE_PAYMENT",
          stockState: "RESERVED",
          currencyCode: priced.currencyCode,
          totalMinor: priced.totalMinor,
        },
        pricedLines: priced.lines,
      };
    } catch (error) {
      const failure = classifyStepFailure(error, c.budget, c.signal.aborted);
      const detail = describeError(error);
      switch (failure.kind) {
        case "interrupted":
          return undefined;
        case "refused":
          if (failure.code === Code.FAILED_PRECONDITION) {
            const reason = stockRefusalReason(order, failure.error.preconditionViolations);
            return compensate("RESERVE_STOCK", "CANCELLED", reason, detail);
          }
          if (failure.code === Code.NOT_FOUND) {
            return compensate("RESERVE_STOCK", "CANCELLED", REASONS.productGone, detail);
          }
          return compensate("RESERVE_STOCK", "FAILED", REASONS.rejected, detail);
        case "technical":
          return compensate("RESERVE_STOCK", "FAILED", REASONS.inventoryDown, detail);
      }
    }
  }

  async function authorize(c: StepContext): Promise<SagaChange | undefined> {
    const { order } = c;
    const amount = { currencyCode: order.currencyCode ?? "", amountMinor: order.totalMinor ?? 0n };
    try {
      const result = await payments.authorize(
        order.id,
        amount,
        order.paymentToken ?? "",
        paymentCall(c),
      );
      if (result.outcome === "declined") {
        return compensate("AUTHORIZE_PAYMENT", "CANCELLED", result.message, "declined");
      }
      return {
        log: { step: "AUTHORIZE_PAYMENT", outcome: "OK", detail: result.authorizationId },
        set: {
          sagaStep: "COMMIT_STOCK",
          paymentState: "AUTHORIZED",
          paymentAuthorizationId: result.authorizationId,
          // The token has done its job; keeping it would only keep data.
          paymentToken: null,
        },
      };
    } catch (error) {
      const failure = classifyStepFailure(error, c.budget, c.signal.aborted);
      const detail = describeError(error);
      if (failure.kind === "interrupted") return undefined;
      if (errorName(error) === "TimeoutError") {
        // The provider may have authorized: compensation looks the authorization up.
        return compensate("AUTHORIZE_PAYMENT", "FAILED", REASONS.paymentTimeout, detail, {
          paymentState: "UNKNOWN",
        });
      }
      return compensate("AUTHORIZE_PAYMENT", "FAILED", REASONS.paymentError, detail, {
        // A reported error means nothing was authorized; anything else is unknown.
        paymentState: errorName(error) === "PaymentProviderError" ? "NONE" : "UNKNOWN",
      });
    }
  }

  async function commit(c: StepContext): Promise<SagaChange | undefined> {
    try {
      const state = await inventory.commit(c.order.id, stepCall(c));
      if (state !== "COMMITTED") {
        return compensate("COMMIT_STOCK", "FAILED", REASONS.reservationLost, state);
      }
      return {
        log: { step: "COMMIT_STOCK", outcome: "OK" },
        set: { status: "CONFIRMED", sagaStep: "DONE", stockState: "COMMITTED", statusReason: "" },
        event: { type: "OrderConfirmed" },
      };
    } catch (error) {
      const failure = classifyStepFailure(error, c.budget, c.signal.aborted);
      const detail = describeError(error);
      if (failure.kind === "interrupted") return undefined;
      // Released, expired, or unknown to product-service.
      if (failure.kind === "refused") {
        return compensate("COMMIT_STOCK", "FAILED", REASONS.reservationLost, detail);
      }
      // The commit may have happened: releasing then answers "committed" and the
      // compensation returns the stock instead.
      return compensate("COMMIT_STOCK", "FAILED", REASONS.inventoryDown, detail);
    }
  }

  async function voidPayment(c: StepContext): Promise<SagaChange | undefined> {
    return retried(c, "VOID_PAYMENT", async () => {
      const call = paymentCall(c);
      const id =
        c.order.paymentAuthorizationId ?? (await payments.findAuthorization(c.order.id, call));
      if (id) await payments.void(id, call);
      return {
        log: { step: "VOID_PAYMENT", outcome: "OK", detail: id ?? "no authorization" },
        set: { paymentState: id ? "VOIDED" : "NONE", paymentToken: null },
      };
    });
  }

  async function releaseStock(c: StepContext): Promise<SagaChange | undefined> {
    try {
      const state = await inventory.release(c.order.id, stepCall(c));
      return {
        log: { step: "RELEASE_STOCK", outcome: "OK", detail: state },
        set: { stockState: "RELEASED" },
      };
    } catch (error) {
      const failure = classifyStepFailure(error, c.budget, c.signal.aborted);
      if (failure.kind === "refused" && failure.code === Code.FAILED_PRECONDITION) {
        // Committed after all (a commit whose answer was lost): return it instead.
        return {
          log: { step: "RELEASE_STOCK", outcome: "COMMITTED", detail: describeError(error) },
          set: { stockState: "COMMITTED" },
        };
      }
      if (failure.kind === "interrupted") return undefined;
      throw new CompensationStepError("RELEASE_STOCK", error);
    }
  }

  async function returnStock(c: StepContext): Promise<SagaChange | undefined> {
    try {
      const state = await inventory.returnStock(c.order.id, stepCall(c));
      return {
        log: { step: "RETURN_STOCK", outcome: "OK", detail: state },
        set: { stockState: "RETURNED" },
      };
    } catch (error) {
      const failure = classifyStepFailure(error, c.budget, c.signal.aborted);
      if (failure.kind === "refused") {
        // Never committed: a compensation releases it instead; a refund has none to return.
        const stockState = c.order.sagaStep === "COMPENSATE" ? "RESERVED" : "RELEASED";
        return {
          log: { step: "RETURN_STOCK", outcome: "NOT_COMMITTED", detail: describeError(error) },
          set: { stockState },
        };
      }
      if (failure.kind === "interrupted") return undefined;
      throw new CompensationStepError("RETURN_STOCK", error);
    }
  }

  async function refund(c: StepContext): Promise<SagaChange | undefined> {
    return retried(c, "REFUND_PAYMENT", async () => {
      await payments.refund(c.order.paymentAuthorizationId ?? "", paymentCall(c));
      return { log: { step: "REFUND_PAYMENT", outcome: "OK" }, set: { paymentState: "REFUNDED" } };
    });
  }

  function finish(order: OrderRecord, status: Outcome): SagaChange {
    return {
      log: { step: "FINISH", outcome: status },
      set: { status, sagaStep: "DONE", outcomeStatus: null, paymentToken: null },
      event:
        status === "CANCELLED"
          ? { type: "OrderCancelled", refunded: order.paymentState === "REFUNDED" }
          : { type: "OrderFailed" },
    };
  }

  return {
    timeoutOf(action) {
      switch (action.kind) {
        case "AUTHORIZE_PAYMENT":
        case "VOID_PAYMENT":
        case "REFUND_PAYMENT":
          return timeouts.paymentCallMs;
        case "RESERVE_STOCK":
        case "COMMIT_STOCK":
        case "RELEASE_STOCK":
        case "RETURN_STOCK":
          return timeouts.productCallMs;
        default:
          return 0;
      }
    },
    async perform(action, c) {
      switch (action.kind) {
        case "RESERVE_STOCK":
          return reserve(c);
        case "AUTHORIZE_PAYMENT":
          return authorize(c);
        case "COMMIT_STOCK":
          return commit(c);
        case "START_CANCELLATION":
          return compensate(
            "CANCEL",
            "CANCELLED",
            c.order.cancelReason || REASONS.cancelled,
            "requested",
          );
        case "VOID_PAYMENT":
          return voidPayment(c);
        case "RELEASE_STOCK":
          return releaseStock(c);
        case "RETURN_STOCK":
          return returnStock(c);
        case "REFUND_PAYMENT":
          return refund(c);
        case "FINISH":
          return finish(c.order, action.status);
        case "NONE":
          return undefined;
      }
    },
  };
}

/** A compensation call failed; the saga keeps its state and a later run retries. */
export class CompensationStepError extends Error {
  constructor(
    readonly step: string,
    cause: unknown,
  ) {
    super(`${step} failed: ${describeError(cause)}`, { cause });
    this.name = "CompensationStepError";
  }
}

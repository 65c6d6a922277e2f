/**
 * CreateOrder: validation, the account and catalogue checks, the idempotent creation of the order
 * and its key, and the saga run within the caller's deadline. Also `settle`, shared
 * with CancelOrder: bring an order as far as the deadline allows, driving its saga if
 * nobody does, or waiting for the run that does.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { CreateOrderRequest } from "@shop/gen/ts/shop/order/v1/order";
import { Code, ServiceError } from "@shop/libs/errors";
import type { CallContext } from "@shop/libs/grpc";
import { callerOf } from "./order-access";
import type { OrderRecord } from "./order-record";
import type { OrderRepository } from "./order-repository";
import { parseCreateOrder } from "./order-request";
import type { OrderSaga } from "./order-saga";
import { sagaHasWork } from "./order-state-machine";
import type { ProductInventory } from "./product-inventory";
import type { UserAccounts } from "./user-accounts";

/** Kept back from the caller's deadline to persist the last step and answer. */
export const REPLY_MARGIN_MS = 100;
const POLL_MIN_MS = 20;
const POLL_MAX_MS = 250;

export interface OrderPlacementOptions {
  repository: OrderRepository;
  saga: OrderSaga;
  inventory: ProductInventory;
  /** Whether the caller's account still exists (it may be erased while a token lives). */
  accounts: UserAccounts;
  /** Timeout of the catalogue check's calls. */
  productCallMs: number;
  /** The run's length when the caller set no deadline. */
  sagaDeadlineMs: number;
}

export interface OrderPlacement {
  create(request: CreateOrderRequest, ctx: CallContext): Promise<OrderRecord>;
  /**
   * Drives or waits for the saga of `orderId` until it has no work left or `deadline`
   * (epoch ms) passes, then resolves with the order as it is.
   */
  settle(orderId: string, deadline: number, ctx: CallContext): Promise<OrderRecord>;
  /** The end of a run for a call: its deadline minus the reply margin, or the default. */
  deadlineOf(ctx: CallContext): number;
}

/** Waits for `promise` (whatever its outcome) for at most `ms`. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  const timer = new AbortController();
  try {
    await Promise.race([
      promise.catch(() => undefined),
      sleep(Math.max(0, ms), undefined, { signal: timer.signal }).catch(() => undefined),
    ]);
  } finally {
    timer.abort();
  }
}

export function createOrderPlacement(options: OrderPlacementOptions): OrderPlacement {
  const { repository, saga, inventory } = options;

  function deadlineOf(ctx: CallContext): number {
    const own = Date.now() + options.sagaDeadlineMs;
    return ctx.deadline ? Math.min(own, ctx.deadline.getTime() - REPLY_MARGIN_MS) : own;
  }

  async function settle(orderId: string, deadline: number, ctx: CallContext) {
    let pollMs = POLL_MIN_MS;
    for (;;) {
      const local = saga.inFlight(orderId);
      if (local) {
        // The run in this process: its end is the earliest moment anything changes.
        await within(local, deadline - Date.now());
      } else {
        await saga.drive(orderId, { deadline, requestId: ctx.requestId });
      }
      const order = await repository.get(orderId);
      if (!order) throw ServiceError.notFound(`order ${orderId} not found`);
      const left = deadline - Date.now();
      if (!sagaHasWork(order) || left <= 0 || ctx.signal.aborted) return order;
      // Another instance drives it, or a step failed and is retried: look again soon.
      await sleep(Math.min(pollMs, left), undefined, { signal: ctx.signal }).catch(() => undefined);
      pollMs = Math.min(POLL_MAX_MS, pollMs * 2);
    }
  }

  async function replay(
    existing: { orderId: string; requestHash: string },
    requestHash: string,
    key: string,
    ctx: CallContext,
  ): Promise<OrderRecord> {
    if (existing.requestHash !== requestHash) {
      throw new ServiceError(
        Code.ABORTED,
        `the Idempotency-Key "${key}" was already used for a different order; ` +
          "use a new key to place a new order",
        { reason: "IDEMPOTENCY_KEY_REUSED" },
      );
    }
    return settle(existing.orderId, deadlineOf(ctx), ctx);
  }

  return {
    deadlineOf,
    settle,
    async create(request, ctx) {
      const user = callerOf(ctx);
      const input = parseCreateOrder(request);
      const key = ctx.idempotencyKey;
      if (key) {
        const existing = await repository.findIdempotencyKey(user.userId, key);
        if (existing) return replay(existing, input.requestHash, key, ctx);
      }
      // The caller's deadline and cancellation flow on; the user's token need not (the
      // catalogue is public, GetUser is internal, and the callees would verify it again
      // for nothing). Both checks at once; an erased account is the answer that wins.
      const callerCtx = { requestId: ctx.requestId, deadline: ctx.deadline, signal: ctx.signal };
      const [account, lookup] = await Promise.allSettled([
        options.accounts.assertCanOrder(user, callerCtx),
        inventory.lookupProducts(input.lines, callerCtx, options.productCallMs),
      ]);
      if (account.status === "rejected") throw account.reason;
      if (lookup.status === "rejected") throw lookup.reason;
      const productNames = lookup.value;
      const deadline = deadlineOf(ctx);
      const owner = randomUUID();
      const result = await repository.create({
        id: randomUUID(),
        userId: user.userId,
        lines: input.lines,
        productNames,
        paymentToken: input.paymentToken,
        lease: { owner, ms: saga.leaseMs },
        ...(key ? { idempotency: { key, requestHash: input.requestHash } } : {}),
      });
      if (result.kind === "existing") return replay(result, input.requestHash, key!, ctx);
      ctx.logger.info({ orderId: result.order.id }, "order created");
      const driven = await saga.drive(result.order.id, {
        deadline,
        leaseOwner: owner,
        order: result.order,
        requestId: ctx.requestId,
      });
      return driven ?? result.order;
    },
  };
}

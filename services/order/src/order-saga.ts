/**
 * The order saga, orchestrated here: ReserveStock -> payment authorization ->
 * CommitStock -> CONFIRMED, compensated in reverse (void the authorization, release
 * the stock) on any failure, ending CANCELLED (the order cannot be fulfilled: out of
 * stock, declined) or FAILED (a technical failure), with a reason the customer can
 * read. Cancelling a CONFIRMED order refunds it and returns its stock.
 *
 * A run holds the order's lease and persists every step's result before the next
 * step, each step being idempotent by order id: a run that stops (deadline, crash,
 * deploy) is resumed by any later run exactly where it stopped.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "@shop/libs/logging";
import type { OrderRecord } from "./order-record";
import type { OrderRepository, SagaChange } from "./order-repository";
import { assertTransition, nextSagaAction, type SagaAction } from "./order-state-machine";
import type { PaymentProvider } from "./payment-provider";
import type { ProductInventory } from "./product-inventory";
import type { SagaLeases } from "./saga-leases";
import { errorName, stepBudget } from "./saga-step-call";
import { createSagaSteps, type StepContext } from "./saga-steps";

export interface SagaTimeouts {
  /** Each call to product-service. */
  readonly productCallMs: number;
  /** Each call to the payment provider. */
  readonly paymentCallMs: number;
}

/** The FAULT_SAGA_CRASH test hook: where to end the process abruptly. */
export interface SagaCrashPoint {
  readonly when: "after-call" | "after-persist";
  readonly step: SagaAction["kind"];
}

export interface OrderSagaOptions {
  repository: OrderRepository;
  leases: SagaLeases;
  inventory: ProductInventory;
  payments: PaymentProvider;
  timeouts: SagaTimeouts;
  logger: Logger;
  /** Called when a saga reaches a final status (metrics). */
  onFinished?: (order: OrderRecord) => void;
  /** Off unless FAULT_SAGA_CRASH is set: the crash test's controlled kill. */
  crash?: { point: SagaCrashPoint; kill: () => void };
}

export interface DriveOptions {
  /** Epoch ms after which no step starts and calls are cut short. */
  readonly deadline: number;
  /** The lease already taken (by create or the recovery scan); otherwise one is claimed. */
  readonly leaseOwner?: string;
  /** The order as the lease holder just wrote it, saving a read. */
  readonly order?: OrderRecord;
  readonly requestId?: string;
}

export interface OrderSaga {
  /**
   * Drives the saga as far as the deadline allows and resolves with the order as this
   * run left it; undefined when another run holds the saga or it has nothing to do.
   */
  drive(orderId: string, options: DriveOptions): Promise<OrderRecord | undefined>;
  /** The run of this process driving `orderId` now, if any. */
  inFlight(orderId: string): Promise<unknown> | undefined;
  /** How long a lease lasts: the longest step plus a margin. */
  readonly leaseMs: number;
  /** Stops all runs at their next step (calls in flight are cancelled). */
  stop(): Promise<void>;
}

/** More than any saga needs (forward, compensation and refund together). */
const MAX_ACTIONS_PER_RUN = 16;

/** Lease time beyond the longest step: persisting a result and clock differences. */
const LEASE_MARGIN_MS = 2_000;

export function createOrderSaga(options: OrderSagaOptions): OrderSaga {
  const { repository, leases, logger } = options;
  const leaseMs =
    Math.max(options.timeouts.productCallMs, options.timeouts.paymentCallMs) + LEASE_MARGIN_MS;
  const controller = new AbortController();
  const running = new Map<string, Promise<OrderRecord>>();
  const steps = createSagaSteps({
    inventory: options.inventory,
    payments: options.payments,
    timeouts: options.timeouts,
  });

  function checkpoint(when: SagaCrashPoint["when"], step: SagaAction["kind"]): void {
    const crash = options.crash;
    if (crash && crash.point.when === when && crash.point.step === step) {
      logger.warn({ when, step }, "FAULT_SAGA_CRASH: ending the process now");
      crash.kill();
    }
  }

  async function run(start: OrderRecord, owner: string, drive: DriveOptions): Promise<OrderRecord> {
    let order = start;
    const log = logger.child({
      orderId: order.id,
      ...(drive.requestId ? { requestId: drive.requestId } : {}),
    });
    try {
      for (let performed = 0; ; performed++) {
        if (performed === MAX_ACTIONS_PER_RUN) {
          // A dependency answering inconsistently must not keep a run going forever.
          log.warn({ sagaStep: order.sagaStep }, "saga paused: too many steps in one run");
          return order;
        }
        const action = nextSagaAction(order);
        if (action.kind === "NONE" || controller.signal.aborted) return order;
        if (action.kind === "FINISH") assertTransition(order.status, action.status);
        const stepMs = steps.timeoutOf(action);
        const budget =
          stepMs === 0 ? { timeoutMs: 0, capped: false } : stepBudget(stepMs, drive.deadline);
        if (!budget) {
          log.info({ step: action.kind }, "saga paused: out of time; a later run continues");
          return order;
        }
        const context: StepContext = {
          order,
          budget,
          signal: controller.signal,
          ...(drive.requestId ? { requestId: drive.requestId } : {}),
        };
        const change: SagaChange | undefined = await steps.perform(action, context);
        if (!change) {
          log.info({ step: action.kind }, "saga paused: step interrupted; a later run repeats it");
          return order;
        }
        checkpoint("after-call", action.kind);
        order = await repository.applySagaChange(order, owner, change, leaseMs);
        checkpoint("after-persist", action.kind);
        if (change.set.sagaStep === "COMPENSATE") {
          log.info({ step: action.kind, reason: order.statusReason }, "saga compensating");
        }
        if (order.sagaStep === "DONE") {
          log.info({ status: order.status, reason: order.statusReason }, `order ${order.status}`);
          options.onFinished?.(order);
        }
      }
    } catch (error) {
      const name = errorName(error);
      if (name === "LeaseLostError") {
        log.warn("saga run stopped: another run took over its lease");
      } else if (name === "CompensationStepError") {
        log.warn({ err: error }, "compensation step failed; a later run retries it");
      } else {
        log.error({ err: error }, "saga run stopped by an error; a later run continues");
      }
      return order;
    } finally {
      // A finished saga's last write already ended the lease.
      if (order.sagaStep !== "DONE") {
        await leases.release(order.id, owner).catch((error: unknown) => {
          log.warn({ err: error }, "could not release the saga lease; it runs out by itself");
        });
      }
    }
  }

  return {
    leaseMs,
    async drive(orderId, drive) {
      if (controller.signal.aborted) return undefined;
      const owner = drive.leaseOwner ?? randomUUID();
      const start = drive.leaseOwner
        ? (drive.order ?? (await repository.get(orderId)))
        : await leases.claim(orderId, owner, leaseMs);
      if (!start) return undefined;
      const promise = run(start, owner, drive);
      running.set(orderId, promise);
      try {
        return await promise;
      } finally {
        if (running.get(orderId) === promise) running.delete(orderId);
      }
    },
    inFlight: (orderId) => running.get(orderId),
    async stop() {
      controller.abort();
      await Promise.allSettled([...running.values()]);
    },
  };
}

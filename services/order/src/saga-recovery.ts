/**
 * The recovery loop: on start and then periodically, leases sagas left half-done (a
 * crash, a deploy, a CreateOrder whose deadline ran out, a compensation that failed)
 * and drives each to a final state. The scan uses FOR UPDATE SKIP LOCKED and leases,
 * so instances running it at once never take the same saga. Expired idempotency keys
 * are pruned on the way.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "@shop/libs/logging";
import type { OrderRepository } from "./order-repository";
import type { OrderSaga } from "./order-saga";
import type { SagaLeases } from "./saga-leases";

export interface SagaRecoveryOptions {
  repository: OrderRepository;
  leases: SagaLeases;
  saga: OrderSaga;
  logger: Logger;
  intervalMs: number;
  /** Sagas that have not moved for this long and that nobody holds. */
  idleMs: number;
  batchSize: number;
  /** How long one recovered saga may be driven per pass. */
  runMs: number;
  /** Called after each pass with the number of sagas taken on (metrics). */
  onPass?: (recovered: number) => void;
}

export interface SagaRecovery {
  start(): void;
  /** One pass now; resolves with the number of sagas it drove. */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

/** Sagas of one pass driven at once: recovery must not starve the request path. */
const PARALLEL_RUNS = 4;
const PRUNE_BATCH = 1_000;

export function createSagaRecovery(options: SagaRecoveryOptions): SagaRecovery {
  const { repository, leases, saga, logger } = options;
  const controller = new AbortController();
  let loop: Promise<void> | undefined;

  async function runOnce(): Promise<number> {
    const claimed = await leases.claimStale(options.idleMs, options.batchSize, saga.leaseMs);
    const queue = [...claimed];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        if (controller.signal.aborted) {
          await leases.release(next.orderId, next.owner);
          continue;
        }
        const order = await saga.drive(next.orderId, {
          deadline: Date.now() + options.runMs,
          leaseOwner: next.owner,
        });
        logger.info(
          { orderId: next.orderId, status: order?.status, sagaStep: order?.sagaStep },
          "saga recovered",
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_RUNS, claimed.length) }, worker));
    const pruned = await repository.pruneIdempotencyKeys(PRUNE_BATCH);
    if (pruned > 0) logger.info({ pruned }, "expired idempotency keys deleted");
    options.onPass?.(claimed.length);
    return claimed.length;
  }

  return {
    runOnce,
    start() {
      loop ??= (async () => {
        while (!controller.signal.aborted) {
          try {
            const recovered = await runOnce();
            // A full batch means more may be waiting: go on without pausing.
            if (recovered >= options.batchSize) continue;
          } catch (error) {
            if (controller.signal.aborted) break;
            logger.warn({ err: error }, "saga recovery pass failed; retrying at the next one");
          }
          await sleep(options.intervalMs, undefined, { signal: controller.signal }).catch(
            () => undefined,
          );
        }
      })();
    },
    async stop() {
      controller.abort();
      await loop;
    },
  };
}

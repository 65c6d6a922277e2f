/**
 * Releases reservations nobody committed or released within their TTL (an order
 * service that crashed mid-saga, a client that vanished). Runs every interval on each
 * replica; `FOR UPDATE SKIP LOCKED` lets replicas sweep side by side without waiting
 * on each other or expiring a reservation twice.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "@shop/libs/logging";
import type { Inventory } from "./inventory";

export interface ReservationSweeper {
  /** Starts sweeping every interval in the background. */
  start(): void;
  /** Stops after the sweep in progress. */
  stop(): Promise<void>;
  /** One sweep now, of every overdue reservation; resolves how many it expired. */
  sweepOnce(): Promise<number>;
}

/** Reservations expired per transaction batch before checking for shutdown. */
const BATCH = 100;

export function createReservationSweeper(options: {
  inventory: Inventory;
  intervalMs: number;
  logger: Logger;
}): ReservationSweeper {
  const { inventory, logger } = options;
  let controller: AbortController | undefined;
  let running: Promise<void> | undefined;

  async function sweepOnce(signal?: AbortSignal): Promise<number> {
    let total = 0;
    for (;;) {
      const expired = await inventory.sweepExpired(BATCH);
      total += expired;
      if (expired < BATCH || signal?.aborted) break;
    }
    if (total > 0) logger.info({ expired: total }, "expired reservations released");
    return total;
  }

  async function loop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await sleep(options.intervalMs, undefined, { signal });
      } catch {
        break;
      }
      try {
        await sweepOnce(signal);
      } catch (error) {
        // The next interval tries again; a database outage must not end the loop.
        logger.warn({ err: error }, "sweeping expired reservations failed");
      }
    }
  }

  return {
    start() {
      if (running) return;
      controller = new AbortController();
      running = loop(controller.signal);
    },
    async stop() {
      controller?.abort();
      await running;
      running = undefined;
    },
    sweepOnce: () => sweepOnce(),
  };
}

/**
 * Fan-out of this service's own order events to the WatchOrder streams of this
 * instance: one tail subscription on `events.order-service` per instance (every
 * instance sees every event, whichever instance wrote it), and in-process listeners
 * per order id. A listener only learns "this order changed": the stream re-reads the
 * order, so a late or repeated event can never show an outdated state.
 */
import { EventEnvelope } from "@shop/gen/ts/shop/events/v1/events";
import { type EventBus, eventStream, type Subscription } from "@shop/libs/events";
import type { Logger } from "@shop/libs/logging";

export interface OrderWatch {
  /**
   * Resolves when an event about the order arrived since the previous call, after
   * `ms` at the latest, or when `signal` aborts.
   */
  changed(ms: number, signal: AbortSignal): Promise<void>;
  close(): void;
}

export interface OrderWatchHub {
  /** Listens for events about `orderId`; resolves once events from now on are delivered. */
  watch(orderId: string): Promise<OrderWatch>;
  /** Watches open now (for tests and metrics). */
  size(): number;
  close(): Promise<void>;
}

interface Listener {
  pending: boolean;
  wake: (() => void) | undefined;
}

export function createOrderWatchHub(options: { bus: EventBus; logger: Logger }): OrderWatchHub {
  const listeners = new Map<string, Set<Listener>>();
  let subscription: Subscription | undefined;
  let count = 0;

  function tail(): Subscription {
    subscription ??= options.bus.tail({
      stream: eventStream("order-service"),
      handler: async (entry) => {
        if (listeners.size === 0) return;
        const orderId = EventEnvelope.decode(entry.envelope).aggregateId;
        for (const listener of listeners.get(orderId) ?? []) {
          listener.pending = true;
          listener.wake?.();
        }
      },
    });
    return subscription;
  }

  return {
    async watch(orderId) {
      const listener: Listener = { pending: false, wake: undefined };
      const set = listeners.get(orderId) ?? new Set();
      set.add(listener);
      listeners.set(orderId, set);
      count++;
      let closed = false;
      await tail().ready;
      return {
        async changed(ms, signal) {
          if (!listener.pending && !signal.aborted) {
            await new Promise<void>((resolve) => {
              const done = () => {
                clearTimeout(timer);
                signal.removeEventListener("abort", done);
                listener.wake = undefined;
                resolve();
              };
              const timer = setTimeout(done, ms);
              signal.addEventListener("abort", done, { once: true });
              listener.wake = done;
            });
          }
          listener.pending = false;
        },
        close() {
          if (closed) return;
          closed = true;
          count--;
          listener.wake?.();
          set.delete(listener);
          if (set.size === 0 && listeners.get(orderId) === set) listeners.delete(orderId);
        },
      };
    },
    size: () => count,
    async close() {
      for (const set of listeners.values()) for (const l of set) l.wake?.();
      await subscription?.close();
    },
  };
}

/**
 * Keeps the response cache fresh from the event streams of the backends whose answers
 * it holds: a tail subscription of `events.<backend>` per backend (every gateway
 * replica sees every event), dropping the entries that may show the event's aggregate.
 * The gateway's policy declares these as tail-mode consumptions.
 */
import { EventEnvelope } from "@shop/gen/ts/shop/events/v1/events";
import { type EventBus, eventStream, type Subscription } from "@shop/libs/events";
import type { Logger } from "@shop/libs/logging";
import type { ServiceName } from "@shop/libs/mesh";
import { Counter, type Registry } from "prom-client";
import type { ResponseCache } from "./response-cache";

export function subscribeResponseCacheInvalidation(options: {
  bus: EventBus;
  cache: ResponseCache;
  /** The backends the cached RPCs belong to. */
  backends: readonly string[];
  logger: Logger;
  registry: Registry;
}): Subscription {
  const { cache } = options;
  const invalidations = new Counter({
    name: "gateway_response_cache_invalidations_total",
    help: "Events that invalidated cached answers, by the backend that published them.",
    labelNames: ["backend"],
    registers: [options.registry],
  });
  const subscriptions = options.backends.map((backend) =>
    options.bus.tail({
      stream: eventStream(backend as ServiceName),
      handler: async (entry) => {
        // Any event of the backend may change what it answers; the aggregate says which.
        const { aggregateId } = EventEnvelope.decode(entry.envelope);
        cache.invalidate(backend, aggregateId || undefined);
        invalidations.inc({ backend });
      },
    }),
  );
  options.logger.debug({ backends: options.backends }, "response cache follows events");
  return {
    ready: Promise.all(subscriptions.map((s) => s.ready)).then(() => undefined),
    close: () => Promise.all(subscriptions.map((s) => s.close())).then(() => undefined),
  };
}

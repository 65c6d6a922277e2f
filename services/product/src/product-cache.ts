/**
 * The read-through cache of GetProduct and of ListProducts' first pages, over the
 * libs Cache (Redis shared by the replicas; memory in the embedded mode).
 *
 * - Products are cached under `product:<id>`, with their available stock, so every
 *   catalog write and every stock movement of a product invalidates its key.
 * - First pages (no page_token; any query, filter and page size) are cached under
 *   `list:<epoch>:<size>:<fingerprint>`. Any write changes some listing, and the keys
 *   of all listings cannot be enumerated, so a write invalidates the one key
 *   `list-epoch` instead: the next reader draws a new random epoch, and pages cached
 *   under the old one are never read again and expire by TTL. An epoch is drawn after
 *   the invalidation, so a page stored under it was read from the database after the
 *   write committed; the Cache's generation check keeps an epoch drawn before the write
 *   from being stored after it.
 * - A miss loads once per key per process however many calls wait (getOrLoad's
 *   single flight), and a Redis outage makes every read a miss served by the database.
 */
import { randomUUID } from "node:crypto";
import { EventEnvelope } from "@shop/gen/ts/shop/events/v1/events";
import type { Product } from "@shop/gen/ts/shop/product/v1/product";
import type { EventBus, Subscription } from "@shop/libs/events";
import { eventStream, withEventSpan } from "@shop/libs/events";
import type { Logger } from "@shop/libs/logging";
import type { Cache } from "@shop/libs/redis";
import { Counter, type Registry } from "prom-client";
import type { ListQuery } from "./list-query";
import { PRODUCER, PRODUCT_CHANGED, STOCK_CHANGED } from "./product-events";
import type { ProductPage } from "./product-listing";

export interface ProductCache {
  /** GetProduct through the cache; `load` reads the database (undefined: not found). */
  product(id: string, load: () => Promise<Product | undefined>): Promise<Product | undefined>;
  /** A first page of ListProducts through the cache. */
  firstPage(query: ListQuery, load: () => Promise<ProductPage>): Promise<ProductPage>;
  /** Drops the products and every cached first page. Call after the write committed. */
  invalidate(productIds: readonly string[]): Promise<void>;
}

export interface ProductCacheOptions {
  cache: Cache;
  ttlMs: number;
  /** false: every read goes to the database. */
  enabled: boolean;
  /** The service's registry, for the hit-ratio counters. */
  registry: Registry;
}

const EPOCH_KEY = "list-epoch";

export function createProductCache(options: ProductCacheOptions): ProductCache {
  const { cache, ttlMs } = options;
  const lookups = new Counter({
    name: "product_cache_lookups_total",
    help: "Reads that went through the product cache, by cache (product, list).",
    labelNames: ["cache"],
    registers: [options.registry],
  });
  const misses = new Counter({
    name: "product_cache_misses_total",
    help: "Cache reads that loaded from the database (one per single flight), by cache.",
    labelNames: ["cache"],
    registers: [options.registry],
  });
  const counted = <T>(kind: "product" | "list", load: () => Promise<T>) => {
    lookups.inc({ cache: kind });
    return () => {
      misses.inc({ cache: kind });
      return load();
    };
  };

  if (!options.enabled) {
    return {
      product: (_id, load) => load(),
      firstPage: (_query, load) => load(),
      invalidate: async () => undefined,
    };
  }
  return {
    product(id, load) {
      return cache.getOrLoad(`product:${id}`, ttlMs, counted("product", load));
    },
    async firstPage(query, load) {
      const epoch = await cache.getOrLoad(EPOCH_KEY, ttlMs, async () => randomUUID());
      const key = `list:${epoch}:${query.pageSize}:${query.fingerprint}`;
      return cache.getOrLoad(key, ttlMs, counted("list", load));
    },
    async invalidate(productIds) {
      await cache.invalidate(...productIds.map((id) => `product:${id}`), EPOCH_KEY);
    },
  };
}

/**
 * The durable path of invalidation. Writers invalidate right after their commit, but a
 * crash (or a Redis hiccup) between commit and invalidation would leave a stale entry
 * until its TTL. The same transaction wrote the event to the outbox, though, and the
 * relay publishes it even after a restart; every instance tails its own stream and
 * invalidates again on each ProductChanged and StockChanged. Both paths are one small
 * Redis script per write, so having both costs little; the tail alone would make a
 * writer's own next read racy, the post-commit call alone would not survive a crash.
 */
export function subscribeCacheInvalidation(options: {
  bus: EventBus;
  cache: ProductCache;
  logger: Logger;
}): Subscription {
  return options.bus.tail({
    stream: eventStream(PRODUCER),
    handler: async (entry) => {
      const envelope = EventEnvelope.decode(entry.envelope);
      if (envelope.type !== PRODUCT_CHANGED && envelope.type !== STOCK_CHANGED) return;
      // In the trace of the write that caused it (e.g. the order that reserved stock).
      await withEventSpan(envelope, { service: PRODUCER, stream: entry.stream }, () =>
        options.cache.invalidate([envelope.aggregateId]),
      );
    },
  });
}

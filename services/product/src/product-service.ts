/**
 * product-service: the catalog, its search and cache, and the inventory with its
 * reservations. Wires the shared runtime (database, Redis, gRPC, admin HTTP, outbox
 * relay) to the domain; no module-level state, so the embedded mode can start it in a
 * process shared with the other services.
 */
import { join } from "node:path";
import { ProductServiceService } from "@shop/gen/ts/shop/product/v1/product";
import type { Env } from "@shop/libs/config";
import {
  createServiceRuntime,
  type DatabaseServiceRuntime,
  type Infrastructure,
  type ServiceRuntimeOptions,
} from "@shop/libs/service";
import { createCatalog } from "./catalog";
import { createInventory } from "./inventory";
import { createProductCache, subscribeCacheInvalidation } from "./product-cache";
import { parseProductConfig } from "./product-config";
import { createProductHandlers } from "./product-handlers";
import { createReservationSweeper } from "./reservation-sweeper";

/** The service's SQL migrations (namespace "product-service"). */
export const PRODUCT_MIGRATIONS_DIR = join(__dirname, "..", "migrations");

/** Key prefix of the cache inside the runtime's REDIS_KEY_PREFIX. */
const CACHE_PREFIX = "product-service:cache:";

export interface ProductServiceOptions {
  env: Env;
  /** The embedded mode's in-memory adapters; Redis at REDIS_URL otherwise. */
  infrastructure?: Infrastructure;
  logDestination?: ServiceRuntimeOptions["logDestination"];
}

export interface RunningProductService {
  readonly runtime: DatabaseServiceRuntime;
  readonly grpcPort: number;
  readonly httpPort: number;
  /** Runs one sweep of expired reservations now (tests, operators); resolves the count. */
  sweepExpiredReservations(): Promise<number>;
  stop(): Promise<void>;
}

export async function startProductService(
  options: ProductServiceOptions,
): Promise<RunningProductService> {
  const config = parseProductConfig(options.env);
  const runtime = await createServiceRuntime({
    name: "product-service",
    env: options.env,
    database: { url: config.DATABASE_URL, migrationsDir: PRODUCT_MIGRATIONS_DIR },
    ...(options.infrastructure ? { infrastructure: options.infrastructure } : {}),
    ...(options.logDestination ? { logDestination: options.logDestination } : {}),
  });
  const { pool, logger } = runtime;
  const cache = createProductCache({
    cache: runtime.infrastructure.cache(CACHE_PREFIX),
    ttlMs: config.CACHE_TTL,
    enabled: config.CACHE_ENABLED,
    registry: runtime.metrics.registry,
  });
  const catalog = createCatalog({ pool, cache });
  const inventory = createInventory({ pool, cache, reservationTtlMs: config.RESERVATION_TTL });
  runtime.grpc.add(ProductServiceService, createProductHandlers({ catalog, inventory }));
  const sweeper = createReservationSweeper({
    inventory,
    intervalMs: config.RESERVATION_SWEEP_INTERVAL,
    logger,
  });
  runtime.onStop(() => sweeper.stop());

  let ports: { grpcPort: number; httpPort: number };
  try {
    ports = await runtime.start();
    if (config.CACHE_ENABLED) {
      const invalidation = subscribeCacheInvalidation({
        bus: runtime.infrastructure.bus,
        cache,
        logger,
      });
      runtime.onStop(() => invalidation.close());
    }
    sweeper.start();
  } catch (error) {
    await runtime.stop();
    throw error;
  }
  return {
    runtime,
    ...ports,
    sweepExpiredReservations: () => sweeper.sweepOnce(),
    stop: () => runtime.stop(),
  };
}

/**
 * Loads the demo catalog into the products database: `tsx services/product/src/commands/seed.ts`
 * with DATABASE_URL set (`npm run dev` runs it). Idempotent: a sku that exists is
 * skipped, so running it again, or beside a running service, changes nothing. It
 * applies the migrations first, so it works on a fresh database, and creates products
 * the way CreateProduct does (ledger row, ProductChanged event), so a running
 * service's cache hears about them.
 */
import { ConfigError } from "@shop/libs/config";
import { createPool, migrate, withTransaction } from "@shop/libs/db";
import { EVENTS_MIGRATIONS_DIR, EVENTS_MIGRATIONS_NAMESPACE } from "@shop/libs/events";
import { createLogger, type Logger } from "@shop/libs/logging";
import type { Pool } from "pg";
import { createProductInTransaction } from "../catalog";
import { DEMO_PRODUCTS, demoImageUrl } from "../demo-products";
import { parseProductConfig } from "../product-config";
import { findProductIdBySku } from "../product-repository";
import { PRODUCT_MIGRATIONS_DIR } from "../product-service";
import { validateNewProduct } from "../product-validation";

/** Migrates, then creates every demo product whose sku is free; resolves how many. */
export async function seedDemoCatalog(pool: Pool, logger: Logger): Promise<number> {
  await migrate(pool, {
    namespace: EVENTS_MIGRATIONS_NAMESPACE,
    dir: EVENTS_MIGRATIONS_DIR,
    logger,
  });
  await migrate(pool, { namespace: "product-service", dir: PRODUCT_MIGRATIONS_DIR, logger });
  let created = 0;
  for (const demo of DEMO_PRODUCTS) {
    const input = validateNewProduct({
      product: {
        id: "",
        sku: demo.sku,
        name: demo.name,
        description: demo.description,
        price: { currencyCode: "USD", amountMinor: BigInt(demo.priceCents) },
        imageUrl: demoImageUrl(demo.sku),
        category: demo.category,
        tags: demo.tags,
        active: true,
        createTime: undefined,
        updateTime: undefined,
        version: 0n,
        availableStock: 0,
      },
      initialStock: demo.stock,
    });
    const added = await withTransaction(pool, async (client) => {
      // Checked under the transaction; a concurrent seed losing the race gets
      // ALREADY_EXISTS from the unique index, which counts as present too.
      if (await findProductIdBySku(client, demo.sku)) return false;
      await createProductInTransaction(client, input);
      return true;
    }).catch((error: unknown) => {
      if ((error as { reason?: unknown }).reason === "SKU_TAKEN") return false;
      throw error;
    });
    if (added) created += 1;
  }
  logger.info({ created, total: DEMO_PRODUCTS.length }, "demo catalog seeded");
  return created;
}

async function main(): Promise<void> {
  const { DATABASE_URL } = parseProductConfig(process.env);
  const logger = createLogger({ service: "product-service" });
  const pool = createPool({ url: DATABASE_URL, applicationName: "product-seed", logger });
  try {
    await seedDemoCatalog(pool, logger);
  } finally {
    await pool.end();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`seeding the demo catalog failed: ${(error as Error).message ?? error}`);
    // 78 (EX_CONFIG) for a bad environment, as runMain does for the services.
    process.exit(error instanceof ConfigError ? 78 : 1);
  });
}

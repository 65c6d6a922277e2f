/**
 * product-service's full-text search timed in PostgreSQL alone: the exact statement
 * ListProducts sends for the first page (page_size 20) of product-catalog's 8 search
 * terms over its 100,000 products, built by product-service's own parseListQuery and
 * listProductsSql and sent through `pg` from the harness's load-pg worker, with no
 * service in front. product-catalog's search-uncached measures the same query end to
 * end through gRPC; the difference is product-service's own share.
 *
 * `setup` migrates the scratch database with product-service's migrations, as the
 * service does at start, then seeds it like product-catalog.
 */
import { ListProductsRequest } from "@shop/gen/ts/shop/product/v1/product";
import { createPool, migrate } from "@shop/libs/db";
import { createLogger } from "@shop/libs/logging";
import { listProductsSql, PRODUCT_MIGRATIONS_DIR, parseListQuery } from "@shop/product-service";
import { defineScenario, type PgStatement } from "../harness";
import {
  catalogDatabase,
  databaseName,
  databaseUrl,
  PRODUCTS,
  SEARCHES,
  seedCatalog,
  withClient,
} from "./support/product-catalog-fixture";

const PAGE_SIZE = 20;

/** What ListProducts runs for the first page of `query`, with no filter. */
export const searchStatement = (query: string): PgStatement =>
  listProductsSql(
    parseListQuery(ListProductsRequest.fromPartial({ pageSize: PAGE_SIZE, pageToken: "", query })),
  );

async function migrateCatalog(url: string): Promise<void> {
  const logger = createLogger({ service: "product-service", level: "warn" });
  const pool = createPool({ url, applicationName: "bench-search-migrate", logger, max: 1 });
  try {
    await migrate(pool, { namespace: "product-service", dir: PRODUCT_MIGRATIONS_DIR, logger });
  } finally {
    await pool.end();
  }
}

export default defineScenario({
  name: "product-search-sql",
  description:
    "product-service's search statement (first page of 8 queries over 100,000 products) timed in PostgreSQL alone, sent through pg by a load worker with no service in front.",
  ports: ["database"],
  processes: ({ ports }) => [catalogDatabase(ports.database)],
  async setup({ ports }) {
    const url = databaseUrl(databaseName(ports.database));
    await migrateCatalog(url);
    await withClient(url, seedCatalog);
    return { url, statements: SEARCHES.map(searchStatement) };
  },
  warmupMs: 3_000,
  durationMs: 10_000,
  concurrencies: [1, 8, 64],
  notes: [
    `${PRODUCTS} products seeded with generate_series as in product-catalog, then VACUUM ANALYZE`,
    `the statement of ListProducts' first page (page_size ${PAGE_SIZE}) for ${SEARCHES.length} queries (${SEARCHES.join(", ")}), built by product-service's listProductsSql; each connection takes the next query`,
    "concurrency = connections to PostgreSQL, one statement in flight on each; latency is the round trip as pg sees it (loopback, rows parsed), statement_timeout 10 s",
    "PostgreSQL is the machine's shared server, not a started process: its CPU is not in the processes columns",
  ],
  variants: [
    {
      name: "search-sql",
      load: (_c, { setup }) => ({
        protocol: "pg",
        connectionString: setup.url,
        statement: setup.statements,
      }),
    },
  ],
});

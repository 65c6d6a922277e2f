/**
 * The 100,000-product catalog that product-catalog and product-search-sql measure: a
 * scratch database owned by a small process, seeded with one INSERT ... SELECT over
 * generate_series (seconds, not minutes), and the search terms both scenarios send.
 *
 * Run with `--hold-database <name> <port>` this file is that process: it creates the
 * database, signals readiness by listening on the port, and drops the database on
 * SIGTERM, which the harness sends after stopping everything else (catalogDatabase).
 */
import type { Client } from "pg";
import type { ProcessSpec } from "../../harness";
import { tsxCommand } from "../../harness";
import { databaseUrl, holdDatabases, withClient } from "./scratch-database";

export const PRODUCTS = 100_000;
export const CATEGORIES = [
  "electronics",
  "home-kitchen",
  "books",
  "outdoors",
  "apparel",
  "sports",
  "toys",
  "garden",
  "beauty",
  "office",
];
/** Search terms over the generated names and descriptions (see SEED_SQL). */
export const SEARCHES = [
  "lamp",
  "walnut chair",
  "ceramic mug",
  "wireless speaker",
  "linen",
  "travel backpack",
  "steel kettle",
  "handmade",
];

/** The URL of database `name` on the admin URL's server. */
export { databaseUrl, withClient };
/** The scratch database of a run, named after its (free, so unique) port. */
export const databaseName = (port: number) => `bench_products_${port}`;

// Names combine 17 adjectives, 13 materials and 23 nouns (5,083 names, each about 20
// times); descriptions add a phrase, so search terms match a few thousand rows each,
// as a popular query on a real catalog would.
const SEED_SQL = `
WITH w AS (
  SELECT ARRAY['classic','compact','ergonomic','rustic','modern','vintage','portable',
               'premium','handmade','minimal','sturdy','elegant','smart','cozy','bold',
               'sleek','wireless'] AS adj,
         ARRAY['walnut','oak','steel','ceramic','linen','cotton','leather','glass',
               'bamboo','copper','wool','marble','aluminium'] AS mat,
         ARRAY['chair','lamp','mug','speaker','backpack','kettle','desk','blanket','vase',
               'notebook','jacket','bottle','clock','shelf','headphones','pillow','knife',
               'bowl','rug','tent','bicycle','watch','planter'] AS noun,
         ARRAY['perfect for travel','built to last for years','designed in small batches',
               'easy to clean','a gift they will use every day','light enough to carry anywhere',
               'finished by hand','with a lifetime warranty','for the home office',
               'made from recycled materials','a bestseller since launch'] AS phrase,
         $1::text[] AS cat
)
INSERT INTO products (sku, name, description, price_minor, currency_code, image_url,
                      category, tags, active, created_at, updated_at)
SELECT 'BENCH-' || lpad(g::text, 6, '0'),
       initcap(adj[1 + g % 17]) || ' ' || initcap(mat[1 + (g / 17) % 13]) || ' ' ||
         initcap(noun[1 + (g / 221) % 23]),
       'A ' || adj[1 + (g / 3) % 17] || ' ' || noun[1 + (g / 221) % 23] || ' of ' ||
         mat[1 + (g / 17) % 13] || ', ' || phrase[1 + g % 11] || '.',
       99 + (g * 7919) % 50000,
       'USD',
       'https://picsum.photos/seed/bench-' || g || '/640/640',
       cat[1 + g % 10],
       ARRAY[noun[1 + (g / 221) % 23], mat[1 + (g / 17) % 13]],
       true,
       now() - make_interval(secs => g * 30),
       now()
  FROM generate_series(1, ${PRODUCTS}) AS g, w`;
const SEED_STOCK_SQL = `
INSERT INTO stock (product_id, available, reserved, sold)
SELECT id, (hashtext(sku) & 255), 0, 0 FROM products WHERE sku LIKE 'BENCH-%'`;
const SEED_LEDGER_SQL = `
INSERT INTO stock_ledger (product_id, reason, available_delta, reserved_delta, sold_delta,
                          available, reserved, sold, note)
SELECT product_id, 'ADJUSTED', available, 0, 0, available, 0, 0, 'bench seed'
  FROM stock WHERE available > 0`;

/**
 * Seeds PRODUCTS products with stock and ledger rows into a migrated database, then
 * VACUUM ANALYZE: the steady state autovacuum reaches after a bulk load (statistics,
 * the visibility map, and no GIN pending list left for every search to scan).
 */
export async function seedCatalog(client: Client): Promise<void> {
  await client.query(SEED_SQL, [CATEGORIES]);
  await client.query(SEED_STOCK_SQL);
  await client.query(SEED_LEDGER_SQL);
  await client.query("VACUUM ANALYZE");
}

/** The process that owns the scratch database `databaseName(port)` for the run. */
export function catalogDatabase(port: number): ProcessSpec {
  return {
    name: "bench-database",
    ...tsxCommand(__filename, ["--hold-database", databaseName(port), String(port)]),
    ready: { port },
    stopGraceMs: 10_000,
  };
}

if (require.main === module) {
  const [flag, name, port] = process.argv.slice(2);
  if (flag !== "--hold-database" || !name || !port) {
    console.error("usage: product-catalog-fixture.ts --hold-database <name> <port>");
    process.exit(2);
  }
  holdDatabases([name], /^bench_products_\d+$/, Number(port)).catch((error: unknown) => {
    console.error("creating the bench database failed:", error);
    process.exit(1);
  });
}

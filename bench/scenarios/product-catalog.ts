/**
 * product-service reads with 100,000 products: GetProduct, the first page of the
 * listing (unfiltered and by category) and full-text search, each against an instance
 * with the Redis cache and one with CACHE_ENABLED=false, both on one scratch database.
 *
 * The scratch database belongs to a small process this file also is: run with
 * `--hold-database <name> <port>` it creates the database, signals readiness by
 * listening on the port, and drops the database on SIGTERM, which the harness sends
 * after stopping the services. `setup` seeds the catalog with one INSERT ... SELECT
 * over generate_series (seconds, not minutes) once the services have migrated it.
 */
import { createServer } from "node:net";
import { GetProductRequest, ListProductsRequest } from "@shop/gen/ts/shop/product/v1/product";
import { Client } from "pg";
import { defineScenario, tsxCommand } from "../harness";

const PRODUCTS = 100_000;
const SAMPLE_IDS = 2_000;
const ADMIN_URL = process.env.PG_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const CATEGORIES = [
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
const SEARCHES = [
  "lamp",
  "walnut chair",
  "ceramic mug",
  "wireless speaker",
  "linen",
  "travel backpack",
  "steel kettle",
  "handmade",
];

const databaseUrl = (name: string) => {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
};
const databaseName = (port: number) => `bench_products_${port}`;

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

async function withClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The --hold-database mode: owns the scratch database for the run's lifetime. */
async function holdDatabase(name: string, port: number): Promise<void> {
  if (!/^bench_products_\d+$/.test(name)) throw new Error(`refusing database name ${name}`);
  await withClient(ADMIN_URL, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  await withClient(ADMIN_URL, (c) => c.query(`CREATE DATABASE ${name}`));
  const server = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const drop = () => {
    server.close();
    withClient(ADMIN_URL, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(
      () => process.exit(0),
      (error: unknown) => {
        console.error("dropping the bench database failed:", error);
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", drop);
  process.once("SIGINT", drop);
}

const service = (name: string, grpc: number, http: number, database: string, cache: boolean) => ({
  name,
  ...tsxCommand("services/product/src/main.ts"),
  env: {
    DATABASE_URL: databaseUrl(database),
    GRPC_PORT: String(grpc),
    HTTP_PORT: String(http),
    CACHE_ENABLED: String(cache),
    DATABASE_POOL_MAX: "20",
    LOG_LEVEL: "warn",
    REDIS_KEY_PREFIX: `bench:${database}:`,
  },
  ready: { url: `http://127.0.0.1:${http}/ready` },
});

const getRequests = (ids: readonly string[]) =>
  ids.map((productId) => GetProductRequest.encode({ productId }).finish());
const listRequest = (query: string, category: string) =>
  ListProductsRequest.encode({
    pageSize: 20,
    pageToken: "",
    query,
    filter: category ? { category, inStock: false, tags: [] } : undefined,
  }).finish();
const LIST_REQUESTS = ["", ...CATEGORIES].map((category) => listRequest("", category));
const SEARCH_REQUESTS = SEARCHES.map((query) => listRequest(query, ""));
const GET_PRODUCT = "/shop.product.v1.ProductService/GetProduct";
const LIST_PRODUCTS = "/shop.product.v1.ProductService/ListProducts";

export default defineScenario({
  name: "product-catalog",
  description:
    "product-service GetProduct, ListProducts first pages and full-text search over 100,000 products, with the Redis cache (cached) and with CACHE_ENABLED=false (uncached).",
  ports: ["database", "cachedGrpc", "cachedHttp", "uncachedGrpc", "uncachedHttp"],
  processes: ({ ports }) => [
    {
      name: "bench-database",
      ...tsxCommand(__filename, [
        "--hold-database",
        databaseName(ports.database),
        String(ports.database),
      ]),
      ready: { port: ports.database },
      stopGraceMs: 10_000,
    },
    service(
      "product-service",
      ports.cachedGrpc,
      ports.cachedHttp,
      databaseName(ports.database),
      true,
    ),
    service(
      "product-service-uncached",
      ports.uncachedGrpc,
      ports.uncachedHttp,
      databaseName(ports.database),
      false,
    ),
  ],
  async setup({ ports }) {
    return withClient(databaseUrl(databaseName(ports.database)), async (client) => {
      await client.query(SEED_SQL, [CATEGORIES]);
      await client.query(SEED_STOCK_SQL);
      await client.query(SEED_LEDGER_SQL);
      await client.query("ANALYZE");
      const { rows } = await client.query<{ id: string }>(
        `SELECT id FROM products ORDER BY random() LIMIT ${SAMPLE_IDS}`,
      );
      return { ids: rows.map((r) => r.id) };
    });
  },
  warmupMs: 3_000,
  durationMs: 10_000,
  concurrencies: [1, 8, 64],
  notes: [
    `${PRODUCTS} products seeded with generate_series; GetProduct cycles over ${SAMPLE_IDS} random ids`,
    `list: first pages (page_size 20) of the whole listing and of each of ${CATEGORIES.length} categories`,
    `search: first pages of ${SEARCHES.length} queries (${SEARCHES.join(", ")}), each matching thousands of rows`,
    "cached and uncached instances share one database; the cache TTL is 60 s and nothing writes during the run",
  ],
  variants: [
    {
      name: "get-uncached",
      load: (_c, { ports, setup }) => ({
        protocol: "grpc",
        target: `127.0.0.1:${ports.uncachedGrpc}`,
        method: GET_PRODUCT,
        request: getRequests(setup.ids),
      }),
    },
    {
      name: "get-cached",
      load: (_c, { ports, setup }) => ({
        protocol: "grpc",
        target: `127.0.0.1:${ports.cachedGrpc}`,
        method: GET_PRODUCT,
        request: getRequests(setup.ids),
      }),
    },
    {
      name: "list-uncached",
      load: (_c, { ports }) => ({
        protocol: "grpc",
        target: `127.0.0.1:${ports.uncachedGrpc}`,
        method: LIST_PRODUCTS,
        request: LIST_REQUESTS,
      }),
    },
    {
      name: "list-cached",
      load: (_c, { ports }) => ({
        protocol: "grpc",
        target: `127.0.0.1:${ports.cachedGrpc}`,
        method: LIST_PRODUCTS,
        request: LIST_REQUESTS,
      }),
    },
    {
      name: "search-uncached",
      load: (_c, { ports }) => ({
        protocol: "grpc",
        target: `127.0.0.1:${ports.uncachedGrpc}`,
        method: LIST_PRODUCTS,
        request: SEARCH_REQUESTS,
      }),
    },
    {
      name: "search-cached",
      load: (_c, { ports }) => ({
        protocol: "grpc",
        target: `127.0.0.1:${ports.cachedGrpc}`,
        method: LIST_PRODUCTS,
        request: SEARCH_REQUESTS,
      }),
    },
  ],
});

if (require.main === module) {
  const [flag, name, port] = process.argv.slice(2);
  if (flag !== "--hold-database" || !name || !port) {
    console.error("usage: product-catalog.ts --hold-database <name> <port>");
    process.exit(2);
  }
  holdDatabase(name, Number(port)).catch((error: unknown) => {
    console.error("creating the bench database failed:", error);
    process.exit(1);
  });
}

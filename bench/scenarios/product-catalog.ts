/**
 * product-service reads with 100,000 products: GetProduct, the first page of the
 * listing (unfiltered and by category) and full-text search, each against an instance
 * with the Redis cache and one with CACHE_ENABLED=false, both on one scratch database.
 *
 * The scratch database and its seed are support/product-catalog-fixture.ts (shared with
 * product-search-sql); `setup` seeds the catalog once the services have migrated it.
 */
import { GetProductRequest, ListProductsRequest } from "@shop/gen/ts/shop/product/v1/product";
import { defineScenario, tsxCommand } from "../harness";
import {
  CATEGORIES,
  catalogDatabase,
  databaseName,
  databaseUrl,
  PRODUCTS,
  SEARCHES,
  seedCatalog,
  withClient,
} from "./support/product-catalog-fixture";

const SAMPLE_IDS = 2_000;

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
    catalogDatabase(ports.database),
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
      await seedCatalog(client);
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

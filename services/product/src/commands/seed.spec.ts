import { ProductServiceClient } from "@shop/gen/ts/shop/product/v1/product";
import { createPool } from "@shop/libs/db";
import { createLogger } from "@shop/libs/logging";
import {
  createScratchDatabase,
  createTestClient,
  createTestIssuer,
  type ScratchDatabase,
  TEST_ADMIN_URL,
  testServiceEnv,
} from "@shop/libs/testing";
import { DEMO_PRODUCTS } from "../demo-products";
import { startProductService } from "../product-service";
import { seedDemoCatalog } from "./seed";

describe("seed command", () => {
  let database: ScratchDatabase;
  beforeAll(async () => {
    database = await createScratchDatabase(TEST_ADMIN_URL);
  });
  afterAll(() => database.drop());

  it("loads the demo catalog once into a fresh database, which the service then lists", async () => {
    const logger = createLogger({ service: "product-service", level: "silent" });
    const pool = createPool({ url: database.url, applicationName: "seed-test", logger });
    try {
      expect(await seedDemoCatalog(pool, logger)).toBe(DEMO_PRODUCTS.length);
      expect(await seedDemoCatalog(pool, logger)).toBe(0);
      const { rows } = await pool.query(
        "SELECT count(*)::int AS products, min(available) AS least FROM products JOIN stock ON product_id = id",
      );
      expect(rows[0]).toEqual({ products: DEMO_PRODUCTS.length, least: 500 });
    } finally {
      await pool.end();
    }
    expect(DEMO_PRODUCTS.length).toBeGreaterThanOrEqual(25);

    const issuer = await createTestIssuer();
    const service = await startProductService({
      env: testServiceEnv({ ...issuer.env, DATABASE_URL: database.url }),
    });
    const client = await createTestClient(ProductServiceClient, {
      port: service.grpcPort,
      upstream: "product-service",
    });
    try {
      const first = await client.listProducts({
        pageSize: 0,
        pageToken: "",
        query: "",
        filter: undefined,
      });
      expect(first.products).toHaveLength(20);
      const rest = await client.listProducts({
        pageSize: 100,
        pageToken: first.nextPageToken,
        query: "",
        filter: undefined,
      });
      const all = [...first.products, ...rest.products];
      expect(all.map((p) => p.sku).sort()).toEqual(DEMO_PRODUCTS.map((p) => p.sku).sort());
      for (const product of all) {
        expect(product.active).toBe(true);
        expect(product.imageUrl).toMatch(/^https:\/\//);
        expect(product.availableStock).toBeGreaterThanOrEqual(500);
      }
      const search = await client.listProducts({
        pageSize: 5,
        pageToken: "",
        query: "merino",
        filter: undefined,
      });
      expect(search.products[0]?.name).toBe("Merino Wool T-Shirt");
    } finally {
      client.close();
      await service.stop();
      await issuer.close();
    }
  });
});

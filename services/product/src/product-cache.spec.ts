import { randomUUID } from "node:crypto";
import { withTransaction } from "@shop/libs/db";
import { type PrivateRedisServer, startPrivateRedisServer } from "@shop/libs/redis";
import {
  createProduct,
  eventually,
  type ProductTestContext,
  startTestProductService,
} from "../test/product-test-service";
import { writeProductChanged } from "./product-events";
import { findProduct } from "./product-repository";

async function adminGet(port: number, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, body: await response.text() };
}

/** A counter of the service's /metrics, 0 when not yet exported. */
async function counter(t: ProductTestContext, name: string, cache: string): Promise<number> {
  const { body } = await adminGet(t.service.httpPort, "/metrics");
  const line = body
    .split("\n")
    .find((l) => l.startsWith(`${name}{`) && l.includes(`cache="${cache}"`));
  return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : 0;
}

describe("product cache", () => {
  let t: ProductTestContext;
  beforeAll(async () => {
    t = await startTestProductService();
  });
  afterAll(() => t.stop());

  it("answers a burst of misses with one database load (single flight)", async () => {
    // Written behind the service's back (no event), so nothing invalidates it meanwhile.
    const { rows } = await t.pool.query<{ id: string }>(
      `INSERT INTO products (sku, name, price_minor, currency_code, category)
       VALUES ($1, 'Quiet product', 100, 'EUR', 'single-flight') RETURNING id`,
      [`SF-${randomUUID()}`],
    );
    const id = rows[0]!.id;
    await t.pool.query("INSERT INTO stock VALUES ($1, 4, 0, 0)", [id]);

    const productMisses = await counter(t, "product_cache_misses_total", "product");
    const productLookups = await counter(t, "product_cache_lookups_total", "product");
    const reads = await Promise.all(
      Array.from({ length: 50 }, () => t.gateway.getProduct({ productId: id })),
    );
    for (const read of reads) expect(read.product).toMatchObject({ id, availableStock: 4 });
    expect(await counter(t, "product_cache_lookups_total", "product")).toBe(productLookups + 50);
    expect(await counter(t, "product_cache_misses_total", "product")).toBe(productMisses + 1);

    const listMisses = await counter(t, "product_cache_misses_total", "list");
    const filter = { category: "single-flight", inStock: false, tags: [] };
    const pages = await Promise.all(
      Array.from({ length: 30 }, () =>
        t.gateway.listProducts({ pageSize: 5, pageToken: "", query: "", filter }),
      ),
    );
    for (const page of pages) expect(page.products.map((p) => p.id)).toEqual([id]);
    expect(await counter(t, "product_cache_misses_total", "list")).toBe(listMisses + 1);
  });

  it("invalidates from the outbox too, when the writer died before invalidating", async () => {
    const created = await createProduct(t, { name: "Before" });
    await t.gateway.getProduct({ productId: created.id });
    // A writer that committed its change and event but crashed before its post-commit
    // invalidation: only the relay and the tail subscription can fix the cache now.
    await withTransaction(t.pool, async (client) => {
      await client.query(
        "UPDATE products SET name = 'After', version = version + 1 WHERE id = $1",
        [created.id],
      );
      const { product } = (await findProduct(client, created.id))!;
      await writeProductChanged(client, "updated", product);
    });
    // Within the cache TTL (60 s): the tail, not expiry, brings the new name.
    const fresh = await eventually("the cache to be invalidated from the stream", async () => {
      const { product } = await t.gateway.getProduct({ productId: created.id });
      return product?.name === "After" && product;
    });
    expect(fresh.version).toBe(2n);
  });
});

describe("product cache without Redis", () => {
  let redis: PrivateRedisServer;
  let t: ProductTestContext;
  beforeAll(async () => {
    redis = await startPrivateRedisServer();
    t = await startTestProductService({ REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await t.stop();
    await redis.stop();
  });

  it("keeps reads and writes working while its Redis is down, and says so in /ready", async () => {
    const created = await createProduct(t, { name: "Cached", category: "outage" });
    await t.gateway.getProduct({ productId: created.id });
    const filter = { category: "outage", inStock: false, tags: [] };
    await t.gateway.listProducts({ pageSize: 5, pageToken: "", query: "", filter });

    await redis.stop();
    const { product } = await t.gateway.getProduct({ productId: created.id });
    expect(product?.name).toBe("Cached");
    const { product: updated } = await t.gateway.updateProduct(
      {
        product: { ...created, name: "Written during the outage" },
        updateMask: ["name"],
        expectedVersion: 1n,
      },
      t.admin(),
    );
    expect(updated?.version).toBe(2n);
    expect((await t.gateway.getProduct({ productId: created.id })).product?.name).toBe(
      "Written during the outage",
    );
    const listed = await t.gateway.listProducts({ pageSize: 5, pageToken: "", query: "", filter });
    expect(listed.products.map((p) => p.name)).toEqual(["Written during the outage"]);

    const ready = await eventually("/ready to report Redis down", async () => {
      const response = await adminGet(t.service.httpPort, "/ready");
      return JSON.parse(response.body).checks.redis === "down" && response;
    });
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toMatchObject({
      status: "ready",
      checks: { database: "up", redis: "down" },
    });
    const metrics = await adminGet(t.service.httpPort, "/metrics");
    expect(metrics.body).toMatch(/dependency_up\{[^}]*dependency="redis"[^}]*\} 0/);

    await redis.start();
    await eventually("Redis to be reported up again", async () => {
      const response = await adminGet(t.service.httpPort, "/ready");
      return JSON.parse(response.body).checks.redis === "up";
    });
    expect((await t.gateway.getProduct({ productId: created.id })).product?.name).toBe(
      "Written during the outage",
    );
  });
});

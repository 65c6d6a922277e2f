import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../config";
import {
  createScratchDatabase,
  type ScratchDatabase,
  TEST_ADMIN_URL,
  testServiceEnv,
} from "../testing";
import { createServiceRuntime, type ServiceRuntime } from "./service-runtime";

async function getJson(port: number, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, body: await response.text() };
}

describe("createServiceRuntime", () => {
  let database: ScratchDatabase;
  const migrationsDir = mkdtempSync(join(tmpdir(), "migrations-"));
  writeFileSync(
    join(migrationsDir, "0001_things.sql"),
    "CREATE TABLE things (id int PRIMARY KEY);",
  );

  beforeAll(async () => {
    database = await createScratchDatabase(TEST_ADMIN_URL);
  });
  afterAll(() => database.drop());

  it("names a malformed variable before starting anything", async () => {
    await expect(
      createServiceRuntime({ name: "product-service", env: testServiceEnv({ GRPC_PORT: "grpc" }) }),
    ).rejects.toThrow(ConfigError);
    await expect(
      createServiceRuntime({
        name: "product-service",
        env: testServiceEnv({ MESH_MODE: "consul" }),
      }),
    ).rejects.toThrow(/MESH_MODE: expected one of local, istio/);
  });

  it("migrates, serves admin and gRPC health, and stops gracefully", async () => {
    const runtime = await createServiceRuntime({
      name: "product-service",
      env: testServiceEnv(),
      database: { url: database.url, migrationsDir },
    });
    const { httpPort, grpcPort } = await runtime.start();
    expect(grpcPort).toBeGreaterThan(0);

    const ready = await getJson(httpPort, "/ready");
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toMatchObject({
      status: "ready",
      checks: { database: "up", redis: "up" },
    });
    const tables = await runtime.pool.query<{ name: string }>(
      "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
    );
    expect(tables.rows.map((r) => r.name)).toEqual([
      "inbox",
      "outbox",
      "outbox_relay",
      "schema_migrations",
      "things",
    ]);
    const metrics = await getJson(httpPort, "/metrics");
    expect(metrics.body).toContain('outbox_lag_seconds{service="product-service"} 0');

    await runtime.stop();
    await expect(fetch(`http://127.0.0.1:${httpPort}/health`)).rejects.toThrow();
    // A second stop is the same shutdown, not a second one.
    await expect(runtime.stop()).resolves.toBeUndefined();
  });

  it("gives up waiting for a pool connection after DATABASE_POOL_TIMEOUT", async () => {
    const runtime = await createServiceRuntime({
      name: "product-service",
      env: testServiceEnv({ DATABASE_POOL_MAX: "1", DATABASE_POOL_TIMEOUT: "300ms" }),
      database: { url: database.url, migrationsDir },
    });
    // Not started: the outbox relay would hold the one connection for its session.
    const held = await runtime.pool.connect();
    try {
      const started = Date.now();
      await expect(runtime.pool.query("SELECT 1")).rejects.toThrow(/timeout/i);
      // The setting, not the 5 s default (a loose bound: a loaded machine is slow).
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect(Date.now() - started).toBeLessThan(4_000);
    } finally {
      held.release();
      await runtime.stop();
    }
  });

  it("runs two services in one process without sharing state", async () => {
    const runtimes: ServiceRuntime[] = [];
    try {
      for (const name of ["product-service", "order-service"] as const) {
        runtimes.push(await createServiceRuntime({ name, env: testServiceEnv() }));
      }
      const [product, order] = runtimes as [ServiceRuntime, ServiceRuntime];
      const ports = [await product.start(), await order.start()];
      expect(product.metrics.registry).not.toBe(order.metrics.registry);
      expect(product.readiness).not.toBe(order.readiness);

      const end = product.metrics.rpc.start("/shop.product.v1.ProductService/GetProduct");
      end("OK");
      const productMetrics = (await getJson(ports[0]!.httpPort, "/metrics")).body;
      const orderMetrics = (await getJson(ports[1]!.httpPort, "/metrics")).body;
      expect(productMetrics).toContain('method="/shop.product.v1.ProductService/GetProduct"');
      expect(orderMetrics).not.toContain("GetProduct");
      expect(orderMetrics).toContain('service="order-service"');
      expect(orderMetrics).not.toContain('service="product-service"');

      await product.stop();
      // The other instance keeps serving after its neighbour stopped.
      expect((await getJson(ports[1]!.httpPort, "/ready")).status).toBe(200);
    } finally {
      await Promise.all(runtimes.map((r) => r.stop()));
    }
  });
});

/**
 * The embedded mode (`npm run dev -- --embedded`, or no PostgreSQL and Redis): the
 * whole mesh in one process on PGlite and in-memory adapters, started through the same
 * supervisor, on free ports with its databases in a temp folder. One flow, the seed's
 * Quick Start, keeps CI short; the process mesh runs the rest.
 */
import { readdirSync } from "node:fs";
import { SERVICES } from "@shop/libs/mesh";
import { eventually, type QuickStartResult, runQuickStart } from "../support/gateway-client";
import { type EmbeddedTestMesh, startEmbeddedTestMesh } from "../support/test-mesh";

jest.setTimeout(150_000);

describe("the Quick Start in the embedded mode", () => {
  let mesh: EmbeddedTestMesh;
  let quickStart: QuickStartResult;
  beforeAll(async () => {
    mesh = await startEmbeddedTestMesh();
    quickStart = await runQuickStart(
      mesh.gatewayUrl,
      SERVICES.map(({ name }) => `http://127.0.0.1:${mesh.ports[name].http}`),
    );
  });
  afterAll(() => mesh?.stop());

  it("serves every process's /health from one process", () => {
    expect(quickStart.health.map((h) => [h.status, h.json])).toEqual(
      SERVICES.map(({ name }) => [200, { status: "ok", service: name }]),
    );
  });

  it("registers, lists the demo catalog and confirms an order", () => {
    const { registered, products, ordered } = quickStart;
    expect(registered.status).toBe(200);
    expect(registered.json.user.email).toBe("test@example.com");
    expect(products.status).toBe(200);
    // The first page of the demo catalog the embedded mode seeds on an empty database.
    expect(products.json.products.length).toBe(20);
    expect(products.json.nextPageToken).not.toBe("");
    expect(ordered.status).toBe(200);
    expect(ordered.json.order).toMatchObject({
      userId: registered.json.user.id,
      status: "ORDER_STATUS_CONFIRMED",
      items: [{ productId: products.json.products[0].id, quantity: 2 }],
    });
  });

  it("keeps its databases in the folder it was given", () => {
    expect(readdirSync(mesh.dataDir).sort()).toEqual(["orders", "products", "users"]);
  });

  it("names each service on its spans, though one process exports them", async () => {
    const spans = await eventually("the order's spans", () => {
      const all = mesh.spans();
      return all.some((s) => s.name.endsWith("ProductService/ReserveStock")) && all;
    });
    const services = new Set(spans.filter((s) => s.kind === "SERVER").map((s) => s.service));
    for (const name of ["order-service", "product-service", "user-service"]) {
      expect(services).toContain(name);
    }
  });
});

/**
 * The seed's Quick Start, verbatim, against the whole mesh started as `npm run dev`
 * starts it; then the trace of its order, read the way a newcomer would: from the log
 * lines and the span file, and through `npm run trace -- <request id>`.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { SERVICES } from "@shop/libs/mesh";
import type { SpanRecord } from "@shop/libs/telemetry";
import { eventually, type QuickStartResult, runQuickStart } from "../support/gateway-client";
import { startTestMesh, type TestMesh } from "../support/test-mesh";

jest.setTimeout(120_000);

const ROOT = join(__dirname, "..", "..");
const STOCK_CHANGED = "consume shop.events.v1.StockChanged";

describe("the seed's Quick Start", () => {
  let mesh: TestMesh;
  let quickStart: QuickStartResult;
  beforeAll(async () => {
    mesh = await startTestMesh();
    quickStart = await runQuickStart(
      mesh.gatewayUrl,
      SERVICES.map(({ name }) => `http://127.0.0.1:${mesh.ports[name].http}`),
    );
  });
  afterAll(() => mesh?.stop());

  it("answers /health on the gateway and every service", () => {
    expect(quickStart.health.map((h) => [h.status, h.json])).toEqual(
      SERVICES.map(({ name }) => [200, { status: "ok", service: name }]),
    );
  });

  it("registers test@example.com, lists the demo catalog and orders two of a product", () => {
    const { registered, products, ordered } = quickStart;
    expect(registered.status).toBe(200);
    expect(registered.json).toMatchObject({
      user: { email: "test@example.com", role: "ROLE_CUSTOMER" },
      tokenType: "Bearer",
      expiresIn: 900,
    });
    expect(registered.json.accessToken.split(".")).toHaveLength(3);

    expect(products.status).toBe(200);
    expect(products.json.products.length).toBeGreaterThan(0);
    const product = products.json.products[0];

    expect(ordered.status).toBe(200);
    expect(ordered.json.order).toMatchObject({
      userId: registered.json.user.id,
      status: "ORDER_STATUS_CONFIRMED",
      items: [
        {
          productId: product.id,
          productName: product.name,
          quantity: 2,
          unitPrice: product.price,
        },
      ],
      total: {
        currencyCode: product.price.currencyCode,
        amountMinor: String(BigInt(product.price.amountMinor) * 2n),
      },
    });
  });

  describe("the order's trace", () => {
    let traceId: string;
    let spans: SpanRecord[];
    beforeAll(async () => {
      // Every log line of the request carries its requestId and traceId; the gateway
      // writes its line once the response is out.
      const line = await eventually("the gateway's log line of the order", () =>
        mesh
          .logs("api-gateway")
          .find((l) => l.requestId === quickStart.ordered.requestId && l.route === "/api/orders"),
      );
      traceId = line.traceId as string;
      // The cache invalidation runs after the response, once the relay published.
      spans = await eventually("the event consumer's span", () => {
        const all = mesh.spans().filter((s) => s.traceId === traceId);
        return all.some((s) => s.name === STOCK_CHANGED) && all;
      });
    });

    it("is one trace id in the log lines of the gateway and all three services", () => {
      const seen = new Set(
        mesh
          .logs()
          .filter((l) => l.requestId === quickStart.ordered.requestId)
          .map((l) => `${String(l.service)} ${String(l.traceId)}`),
      );
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect([...seen].sort()).toEqual(
        ["api-gateway", "order-service", "product-service", "user-service"].map(
          (service) => `${service} ${traceId}`,
        ),
      );
    });

    it("spans gateway, services and the event consumer, each under its caller", () => {
      const byId = new Map(spans.map((s) => [s.spanId, s]));
      const parentOf = (span: SpanRecord) =>
        span.parentSpanId === undefined ? undefined : byId.get(span.parentSpanId);
      const server = (service: string, rpc: string) =>
        spans.find((s) => s.service === service && s.kind === "SERVER" && s.name.endsWith(rpc));

      const root = spans.find((s) => s.parentSpanId === undefined);
      expect(root).toMatchObject({ service: "api-gateway", kind: "SERVER" });
      expect(root?.attributes["url.path"]).toBe("/api/orders");
      const createOrder = server("order-service", "OrderService/CreateOrder");
      const getUser = server("user-service", "UserService/GetUser");
      const reserve = server("product-service", "ProductService/ReserveStock");
      expect(createOrder && getUser && reserve).toBeDefined();
      // Each server span hangs under its caller's client span.
      expect(parentOf(parentOf(createOrder!)!)).toBe(root);
      expect(parentOf(parentOf(getUser!)!)).toBe(createOrder);
      expect(parentOf(parentOf(reserve!)!)).toBe(createOrder);

      const consumed = spans.filter((s) => s.name === STOCK_CHANGED);
      expect(consumed.length).toBeGreaterThan(0);
      for (const span of consumed) {
        expect(span).toMatchObject({ service: "product-service", kind: "CONSUMER" });
        // It continues the product-service call whose transaction wrote the event.
        let ancestor = parentOf(span);
        while (ancestor && ancestor.kind !== "SERVER") ancestor = parentOf(ancestor);
        expect(ancestor?.service).toBe("product-service");
      }
    });

    it("is what `npm run trace -- <request id>` prints", () => {
      const run = spawnSync(
        process.execPath,
        [
          "--require",
          require.resolve("tsx/cjs"),
          join(ROOT, "scripts", "trace.ts"),
          quickStart.ordered.requestId,
          "--logs",
        ],
        {
          encoding: "utf8",
          env: { ...process.env, SHOP_SPAN_FILE: mesh.spanFile, SHOP_LOG_FILE: mesh.logFile },
        },
      );
      expect(run.stderr).toBe("");
      expect(run.status).toBe(0);
      const lines = run.stdout.split("\n");
      expect(lines[0]).toBe(`request ${quickStart.ordered.requestId}`);
      expect(lines[1]).toMatch(
        new RegExp(
          `^trace ${traceId}: \\d+ spans in api-gateway, order-service, product-service, user-service$`,
        ),
      );
      expect(lines[2]).toMatch(/^└─ api-gateway +SERVER +POST \/api\/orders -> 200 /);
      expect(run.stdout).toMatch(
        /user-service +SERVER +grpc\.shop\.user\.v1\.UserService\/GetUser/,
      );
      expect(run.stdout).toMatch(
        /product-service +CONSUMER +consume shop\.events\.v1\.StockChanged/,
      );
      expect(run.stdout).toMatch(/order-service +info +order created/);
    });
  });
});

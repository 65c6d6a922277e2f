import { credentials, type ServiceError as GrpcError, Metadata } from "@grpc/grpc-js";
import {
  Order,
  OrderServiceClient,
  OrderServiceService,
  type WatchOrderResponse,
} from "@shop/gen/ts/shop/order/v1/order";
import {
  GetProductResponse,
  type ListProductsResponse,
  ProductServiceClient,
  ProductServiceService,
} from "@shop/gen/ts/shop/product/v1/product";
import { Code, ServiceError } from "../errors";
import { createMetrics, type Metrics } from "../metrics";
import { defaultRuntimeConfig, type RuntimeConfig } from "../runtime-config";
import { createFaultInjector } from "./fault-injection";
import { createGrpcServer, type GrpcServer } from "./grpc-server";
import {
  createCapturedLogger,
  createTestIdentities,
  partialHandlers,
  type TestIdentities,
} from "./testing";

let ids: TestIdentities;
beforeAll(async () => {
  ids = await createTestIdentities();
});
afterAll(() => ids.close());

const calls = { getProduct: 0, listProducts: 0 };
const productHandlers = partialHandlers(ProductServiceService, {
  async getProduct({ productId }) {
    calls.getProduct++;
    switch (productId) {
      case "bad":
        throw ServiceError.invalidArgument([
          { field: "product_id", description: "must be a UUID" },
          { field: "page_size", description: "must be 1-100" },
        ]);
      case "boom":
        throw new Error("connection to db lost");
      case "secret-internal":
        throw new ServiceError(Code.INTERNAL, "invariant broken in table ledger");
      case "missing":
        throw ServiceError.notFound(`product ${productId} not found`);
      default:
        return GetProductResponse.fromPartial({ product: { id: productId } });
    }
  },
  async listProducts() {
    calls.listProducts++;
    return { products: [], nextPageToken: "" };
  },
});

const orderHandlers = partialHandlers(OrderServiceService, {
  async *watchOrder({ orderId }, ctx) {
    for (let i = 0; i < 3; i++) {
      yield {
        order: Order.fromPartial({
          id: orderId,
          userId: ctx.user?.userId,
          statusReason: `step ${i}`,
        }),
      };
      if (orderId === "fail-after-one")
        throw ServiceError.notFound("order fail-after-one vanished");
    }
  },
});

function startServer(env: Record<string, string>, runtimeConfig: RuntimeConfig) {
  const { logger, lines } = createCapturedLogger("product-service");
  const metrics = createMetrics("product-service");
  const server = createGrpcServer({
    service: "product-service",
    logger,
    metrics,
    runtimeConfig,
    accessTokens: ids.accessTokens,
    serviceTokens: ids.serviceTokens,
    env,
    shutdownGraceMs: 1000,
  });
  server.add(ProductServiceService, productHandlers);
  server.add(OrderServiceService, orderHandlers);
  return { server, lines, metrics };
}

function getProduct(client: ProductServiceClient, productId: string, deadlineMs = 5000) {
  const md = new Metadata();
  md.set("x-request-id", `req-${productId}`);
  return new Promise<GetProductResponse>((resolve, reject) =>
    client.getProduct({ productId }, md, { deadline: Date.now() + deadlineMs }, (e, r) =>
      e ? reject(e) : resolve(r),
    ),
  );
}

async function grpcFailure(promise: Promise<unknown>): Promise<GrpcError> {
  try {
    await promise;
  } catch (error) {
    return error as GrpcError;
  }
  throw new Error("expected the call to fail");
}

async function requestCount(metrics: Metrics, method: string, code: string): Promise<number> {
  const metric = await metrics.registry.getSingleMetric("rpc_server_requests_total")!.get();
  return (
    metric.values.find((v) => v.labels.method === method && v.labels.code === code)?.value ?? 0
  );
}

describe("gRPC server error mapping", () => {
  let server: GrpcServer;
  let lines: Record<string, unknown>[];
  let metrics: Metrics;
  let products: ProductServiceClient;
  let orders: OrderServiceClient;

  beforeAll(async () => {
    ({ server, lines, metrics } = startServer({}, defaultRuntimeConfig("product-service")));
    const port = await server.start("127.0.0.1", 0);
    products = new ProductServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
    orders = new OrderServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
  });
  afterAll(async () => {
    products.close();
    orders.close();
    await server.shutdown();
  });
  const lineOf = (requestId: string) => lines.find((l) => l.requestId === requestId && "code" in l);

  it("sends BadRequest field violations that a grpc-js client decodes", async () => {
    const raw = await grpcFailure(getProduct(products, "bad"));
    expect(raw.code).toBe(Code.INVALID_ARGUMENT);
    const error = ServiceError.fromGrpc(raw);
    expect(error.message).toMatch(/product_id: must be a UUID/);
    expect(error.fieldViolations).toEqual([
      { field: "product_id", description: "must be a UUID" },
      { field: "page_size", description: "must be 1-100" },
    ]);
    expect(lineOf("req-bad")).toMatchObject({ level: "warn", code: "INVALID_ARGUMENT" });
  });

  it("turns an unexpected error into INTERNAL 'internal error', logged with its cause", async () => {
    const raw = await grpcFailure(getProduct(products, "boom"));
    expect(raw.code).toBe(Code.INTERNAL);
    expect(raw.details).toBe("internal error");
    expect(raw.details).not.toMatch(/at |connection|\.ts/);
    const line = lineOf("req-boom");
    expect(line).toMatchObject({
      level: "error",
      code: "INTERNAL",
      rpc: "/shop.product.v1.ProductService/GetProduct",
    });
    expect(JSON.stringify(line)).toMatch(/connection to db/);

    const internal = await grpcFailure(getProduct(products, "secret-internal"));
    expect(internal.details).toBe("internal error");
    expect(lineOf("req-secret-internal")?.message).toMatch(/invariant broken/);
  });

  it("keeps the code and message of a client error", async () => {
    const raw = await grpcFailure(getProduct(products, "missing"));
    expect(ServiceError.fromGrpc(raw)).toMatchObject({
      code: Code.NOT_FOUND,
      message: "product missing not found",
    });
  });

  it("logs one line per call and counts calls by code", async () => {
    await getProduct(products, "fine");
    const line = lineOf("req-fine");
    expect(line).toMatchObject({ level: "info", code: "OK", service: "product-service" });
    expect(typeof line?.durationMs).toBe("number");
    expect(lines.filter((l) => l.requestId === "req-fine")).toHaveLength(1);
    const method = "/shop.product.v1.ProductService/GetProduct";
    expect(await requestCount(metrics, method, "OK")).toBe(1);
    expect(await requestCount(metrics, method, "INVALID_ARGUMENT")).toBe(1);
    expect(await requestCount(metrics, method, "INTERNAL")).toBe(2);
  });

  it("streams every yielded message, and ends with the error a generator throws", async () => {
    const md = new Metadata();
    md.set("authorization", `Bearer ${await ids.accessToken("u7", "customer")}`);
    const read = async (orderId: string) => {
      const received: WatchOrderResponse[] = [];
      try {
        for await (const message of orders.watchOrder({ orderId }, md)) received.push(message);
        return { received };
      } catch (error) {
        return { received, error: ServiceError.fromGrpc(error as GrpcError) };
      }
    };
    const ok = await read("three");
    expect(ok.error).toBeUndefined();
    expect(ok.received.map((m) => m.order?.statusReason)).toEqual(["step 0", "step 1", "step 2"]);
    expect(ok.received[0]?.order?.userId).toBe("u7");

    const failed = await read("fail-after-one");
    expect(failed.received).toHaveLength(1);
    expect(failed.error).toMatchObject({
      code: Code.NOT_FOUND,
      message: "order fail-after-one vanished",
    });

    const anonymous = orders.watchOrder({ orderId: "three" });
    await expect(anonymous.toArray()).rejects.toMatchObject({ code: Code.UNAUTHENTICATED });
  });
});

describe("fault injection", () => {
  const runtimeConfig: RuntimeConfig = {
    ...defaultRuntimeConfig("product-service"),
    faults: {
      "get-product-unavailable": {
        method: "shop.product.v1.ProductService/GetProduct",
        kind: "error",
        code: "UNAVAILABLE",
        percent: 100,
        env: "FAULT_GET_PRODUCT_UNAVAILABLE",
      },
      "list-products-slow": {
        method: "shop.product.v1.ProductService/ListProducts",
        kind: "delay",
        delayMs: 60_000,
        percent: 100,
        env: "FAULT_LIST_PRODUCTS_SLOW",
      },
    },
  };

  async function withServer(
    env: Record<string, string>,
    test: (client: ProductServiceClient, lines: Record<string, unknown>[]) => Promise<void>,
  ) {
    const { server, lines } = startServer(env, runtimeConfig);
    const port = await server.start("127.0.0.1", 0);
    const client = new ProductServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
    try {
      await test(client, lines);
    } finally {
      client.close();
      await server.shutdown();
    }
  }
  const listProducts = (client: ProductServiceClient, deadlineMs: number) =>
    new Promise<ListProductsResponse>((resolve, reject) =>
      client.listProducts(
        { pageSize: 1, pageToken: "", query: "", filter: undefined },
        new Metadata(),
        { deadline: Date.now() + deadlineMs },
        (e, r) => (e ? reject(e) : resolve(r)),
      ),
    );

  it("injects nothing unless the fault's variable is switched on", async () => {
    await withServer({ FAULT_GET_PRODUCT_UNAVAILABLE: "0", OTHER: "1" }, async (client, lines) => {
      expect((await getProduct(client, "p1")).product?.id).toBe("p1");
      expect(await listProducts(client, 5000)).toEqual({ products: [], nextPageToken: "" });
      expect(lines.some((l) => l.message === "fault injection is switched on")).toBe(false);
    });
  });

  it("fails or delays the faulted methods when switched on, before the handler runs", async () => {
    await withServer(
      { FAULT_GET_PRODUCT_UNAVAILABLE: "1", FAULT_LIST_PRODUCTS_SLOW: "true" },
      async (client, lines) => {
        const before = { ...calls };
        const error = ServiceError.fromGrpc(await grpcFailure(getProduct(client, "p1")));
        expect(error).toMatchObject({ code: Code.UNAVAILABLE, reason: "FAULT_INJECTED" });
        const slow = await grpcFailure(listProducts(client, 300));
        expect(slow.code).toBe(Code.DEADLINE_EXCEEDED);
        expect(calls).toEqual(before);
        expect(lines.find((l) => l.message === "fault injection is switched on")).toMatchObject({
          level: "warn",
          faults: ["get-product-unavailable", "list-products-slow"],
        });
      },
    );
  });

  it("hits only the configured share of calls", async () => {
    const faults = { half: { ...runtimeConfig.faults["get-product-unavailable"]!, percent: 50 } };
    const signal = new AbortController().signal;
    const method = "/shop.product.v1.ProductService/GetProduct";
    const env = { FAULT_GET_PRODUCT_UNAVAILABLE: "1" };
    await expect(
      createFaultInjector({ faults, env, random: () => 0.49 })(method, signal),
    ).rejects.toMatchObject({
      code: Code.UNAVAILABLE,
    });
    await expect(
      createFaultInjector({ faults, env, random: () => 0.5 })(method, signal),
    ).resolves.toBeUndefined();
    await expect(
      createFaultInjector({ faults, env, random: () => 0 })("/other/Method", signal),
    ).resolves.toBeUndefined();
  });
});

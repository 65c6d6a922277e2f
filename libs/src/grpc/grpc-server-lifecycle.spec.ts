import { once } from "node:events";
import { dirname, join } from "node:path";
import {
  type Client,
  type ClientDuplexStream,
  type ClientReadableStream,
  credentials,
  type ServiceError as GrpcError,
  loadPackageDefinition,
  Metadata,
  makeClientConstructor,
} from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { Order, OrderServiceClient, OrderServiceService } from "@shop/gen/ts/shop/order/v1/order";
import {
  GetProductResponse,
  ProductServiceClient,
  ProductServiceService,
} from "@shop/gen/ts/shop/product/v1/product";
import {
  RegisterResponse,
  UserServiceClient,
  UserServiceService,
} from "@shop/gen/ts/shop/user/v1/user";
import { service as healthService } from "grpc-health-check";
import { Code, ServiceError } from "../errors";
import type { ServiceName } from "../mesh";
import { createMetrics, type Metrics } from "../metrics";
import { defaultRuntimeConfig } from "../runtime-config";
import type { CallContext } from "./call-context";
import { createGrpcServer } from "./grpc-server";
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

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

function newServer(service: ServiceName, shutdownGraceMs = 10_000) {
  const { logger, lines } = createCapturedLogger(service);
  const metrics = createMetrics(service);
  const server = createGrpcServer({
    service,
    logger,
    metrics,
    runtimeConfig: defaultRuntimeConfig(service),
    accessTokens: ids.accessTokens,
    serviceTokens: ids.serviceTokens,
    env: {},
    shutdownGraceMs,
  });
  return { server, lines, metrics };
}

const address = (port: number) => `127.0.0.1:${port}`;

type HealthClient = Client & {
  check(
    req: { service: string },
    md: Metadata,
    opts: object,
    cb: (e: GrpcError | null, r: { status: string }) => void,
  ): void;
  watch(req: { service: string }): ClientReadableStream<{ status: string }>;
};
const HealthClient = makeClientConstructor(
  healthService,
  "grpc.health.v1.Health",
) as unknown as new (
  address: string,
  creds: ReturnType<typeof credentials.createInsecure>,
) => HealthClient;

const check = (client: HealthClient, service = "") =>
  new Promise<string>((resolve, reject) =>
    client.check({ service }, new Metadata(), { deadline: Date.now() + 5000 }, (e, r) =>
      e ? reject(e) : resolve(r.status),
    ),
  );

function getProduct(client: ProductServiceClient, productId: string) {
  return new Promise<GetProductResponse>((resolve, reject) =>
    client.getProduct({ productId }, new Metadata(), { deadline: Date.now() + 5000 }, (e, r) =>
      e ? reject(ServiceError.fromGrpc(e)) : resolve(r),
    ),
  );
}

describe("gRPC server lifecycle", () => {
  it("serves health, then drains an in-flight call on shutdown while refusing new ones", async () => {
    const { server, lines } = newServer("product-service");
    const entered = deferred();
    const release = deferred();
    server.add(
      ProductServiceService,
      partialHandlers(ProductServiceService, {
        async getProduct({ productId }) {
          if (productId === "slow") {
            entered.resolve();
            await release.promise;
          }
          return GetProductResponse.fromPartial({ product: { id: productId } });
        },
      }),
    );
    expect(server.health.isServing()).toBe(false);
    const port = await server.start("127.0.0.1", 0);
    const health = new HealthClient(address(port), credentials.createInsecure());
    const client = new ProductServiceClient(address(port), credentials.createInsecure());
    try {
      expect(await check(health)).toBe("SERVING");
      expect(await check(health, "shop.product.v1.ProductService")).toBe("SERVING");
      expect(server.health.isServing()).toBe(true);

      const watch = health.watch({ service: "" });
      const statuses: string[] = [];
      watch.on("data", (m: { status: string }) => statuses.push(m.status));
      const watchEnded = once(watch, "end");
      const inFlight = getProduct(client, "slow");
      await entered.promise;

      const stopping = server.shutdown();
      expect(server.shutdown()).toBe(stopping);
      expect(server.health.status()).toBe("NOT_SERVING");
      expect(server.health.status("shop.product.v1.ProductService")).toBe("NOT_SERVING");
      await watchEnded;
      expect(statuses).toEqual(["SERVING", "NOT_SERVING"]);

      // New calls fail, on the existing connection and on a new one.
      await expect(getProduct(client, "after")).rejects.toMatchObject({ code: Code.UNAVAILABLE });
      const fresh = new ProductServiceClient(address(port), credentials.createInsecure());
      await expect(getProduct(fresh, "after")).rejects.toMatchObject({ code: Code.UNAVAILABLE });
      fresh.close();

      release.resolve();
      expect((await inFlight).product?.id).toBe("slow");
      await stopping;
      expect(lines.find((l) => l.message === "gRPC server stopped")).toMatchObject({
        forced: false,
      });
    } finally {
      release.resolve();
      health.close();
      client.close();
      await server.shutdown();
    }
  });

  it("forces shutdown after the grace period and aborts a handler that never ends", async () => {
    const { server, lines } = newServer("product-service", 100);
    const entered = deferred<CallContext>();
    server.add(
      ProductServiceService,
      partialHandlers(ProductServiceService, {
        getProduct(_req, ctx) {
          entered.resolve(ctx);
          return new Promise(() => {});
        },
      }),
    );
    const port = await server.start("127.0.0.1", 0);
    const client = new ProductServiceClient(address(port), credentials.createInsecure());
    try {
      const inFlight = getProduct(client, "forever").catch((e: ServiceError) => e);
      const ctx = await entered.promise;
      await server.shutdown();
      expect(lines.find((l) => l.message === "gRPC server stopped")).toMatchObject({
        forced: true,
      });
      expect(ctx.signal.aborted).toBe(true);
      expect(ctx.signal.reason).toMatchObject({ code: Code.UNAVAILABLE });
      expect(await inFlight).toMatchObject({
        code: Code.UNAVAILABLE,
        message: "the server is shutting down",
      });
    } finally {
      client.close();
    }
  });

  it("ends server streams at shutdown instead of waiting for them", async () => {
    const { server, lines } = newServer("order-service");
    server.add(
      OrderServiceService,
      partialHandlers(OrderServiceService, {
        async *watchOrder({ orderId }, ctx) {
          yield { order: Order.fromPartial({ id: orderId }) };
          await once(ctx.signal, "abort").catch(() => {});
        },
      }),
    );
    const port = await server.start("127.0.0.1", 0);
    const client = new OrderServiceClient(address(port), credentials.createInsecure());
    const md = new Metadata();
    md.set("authorization", `Bearer ${await ids.accessToken("u1", "customer")}`);
    try {
      const stream = client.watchOrder({ orderId: "o1" }, md);
      await once(stream, "data");
      const failed = once(stream, "error");
      await server.shutdown();
      const [error] = (await failed) as [GrpcError];
      expect(ServiceError.fromGrpc(error)).toMatchObject({
        code: Code.UNAVAILABLE,
        message: "the server is shutting down",
      });
      expect(lines.find((l) => l.message === "gRPC server stopped")).toMatchObject({
        forced: false,
      });
    } finally {
      client.close();
      await server.shutdown();
    }
  });

  it("lists the added services through server reflection", async () => {
    const { server } = newServer("product-service");
    server.add(ProductServiceService, partialHandlers(ProductServiceService, {}));
    const port = await server.start("127.0.0.1", 0);
    const protoFile = join(
      dirname(require.resolve("@grpc/reflection")),
      "../proto/grpc/reflection/v1alpha/reflection.proto",
    );
    const pkg = loadPackageDefinition(loadSync(protoFile)) as unknown as {
      grpc: {
        reflection: {
          v1alpha: {
            ServerReflection: new (
              a: string,
              c: unknown,
            ) => Client & {
              serverReflectionInfo(): ClientDuplexStream<
                object,
                { listServicesResponse?: { service: { name: string }[] } }
              >;
            };
          };
        };
      };
    };
    const reflection = new pkg.grpc.reflection.v1alpha.ServerReflection(
      address(port),
      credentials.createInsecure(),
    );
    try {
      const stream = reflection.serverReflectionInfo();
      stream.write({ listServices: "*" });
      const [response] = await once(stream, "data");
      stream.end();
      const names = response.listServicesResponse.service.map((s: { name: string }) => s.name);
      expect(names).toEqual(
        expect.arrayContaining(["shop.product.v1.ProductService", "grpc.health.v1.Health"]),
      );
      expect(names).not.toContain("shop.user.v1.UserService");
    } finally {
      reflection.close();
      await server.shutdown();
    }
  });

  it("refuses misuse: adding after start, adding twice, starting twice", async () => {
    const { server } = newServer("product-service");
    server.add(ProductServiceService, partialHandlers(ProductServiceService, {}));
    expect(() =>
      server.add(ProductServiceService, partialHandlers(ProductServiceService, {})),
    ).toThrow(/added twice/);
    await server.start("127.0.0.1", 0);
    await expect(server.start("127.0.0.1", 0)).rejects.toThrow(/already started/);
    expect(() => server.add(UserServiceService, partialHandlers(UserServiceService, {}))).toThrow(
      /before the server starts/,
    );
    await server.shutdown();
    expect(() =>
      newServer("product-service").server.add(
        {} as typeof ProductServiceService,
        partialHandlers(ProductServiceService, {}),
      ),
    ).toThrow(/not a gRPC service definition/);
    expect(() =>
      createGrpcServer({
        service: "user-service",
        logger: createCapturedLogger("user-service").logger,
        metrics: createMetrics("user-service"),
        runtimeConfig: defaultRuntimeConfig("product-service"),
        accessTokens: ids.accessTokens,
        serviceTokens: ids.serviceTokens,
        env: {},
        shutdownGraceMs: 1,
      }),
    ).toThrow(/runtime config is for product-service/);
  });
});

describe("two services in one process", () => {
  it("keep their own health, logs and metrics", async () => {
    const products = newServer("product-service");
    const users = newServer("user-service");
    products.server.add(
      ProductServiceService,
      partialHandlers(ProductServiceService, {
        getProduct: async ({ productId }) =>
          GetProductResponse.fromPartial({ product: { id: productId } }),
      }),
    );
    users.server.add(
      UserServiceService,
      partialHandlers(UserServiceService, {
        register: async () => RegisterResponse.fromPartial({ accessToken: "t" }),
      }),
    );
    const productPort = await products.server.start("127.0.0.1", 0);
    const userPort = await users.server.start("127.0.0.1", 0);
    const productClient = new ProductServiceClient(
      address(productPort),
      credentials.createInsecure(),
    );
    const userClient = new UserServiceClient(address(userPort), credentials.createInsecure());
    const register = () =>
      new Promise<RegisterResponse>((resolve, reject) =>
        userClient.register(
          { email: "a@example.com", password: "pw", name: "" } as never,
          (e, r) => (e ? reject(e) : resolve(r)),
        ),
      );
    const methods = async (metrics: Metrics) =>
      (await metrics.registry.getSingleMetric("rpc_server_requests_total")!.get()).values.map(
        (v) => v.labels.method,
      );
    try {
      await getProduct(productClient, "p1");
      await register();
      await register();
      expect(await methods(products.metrics)).toEqual([
        "/shop.product.v1.ProductService/GetProduct",
      ]);
      expect(await methods(users.metrics)).toEqual(["/shop.user.v1.UserService/Register"]);
      const rpcs = (lines: Record<string, unknown>[]) =>
        lines.filter((l) => "code" in l).map((l) => l.rpc);
      expect(rpcs(products.lines)).toEqual(["/shop.product.v1.ProductService/GetProduct"]);
      expect(rpcs(users.lines)).toHaveLength(2);
      expect(users.lines.every((l) => l.service === "user-service")).toBe(true);

      await products.server.shutdown();
      expect(products.server.health.isServing()).toBe(false);
      expect(users.server.health.isServing()).toBe(true);
      expect((await register()).accessToken).toBe("t");
    } finally {
      productClient.close();
      userClient.close();
      await Promise.all([products.server.shutdown(), users.server.shutdown()]);
    }
  });
});

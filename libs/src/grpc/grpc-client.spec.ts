import { Order, OrderServiceClient, OrderServiceService } from "@shop/gen/ts/shop/order/v1/order";
import {
  GetProductResponse,
  ProductServiceClient,
  ProductServiceService,
  ReleaseStockResponse,
  ReservationState,
  ReserveStockResponse,
} from "@shop/gen/ts/shop/product/v1/product";
import { Code, ServiceError } from "../errors";
import { createMetrics } from "../metrics";
import { defaultRuntimeConfig, type RuntimeConfig } from "../runtime-config";
import type { CallContext } from "./call-context";
import { callDeadline, createGrpcClient, DEADLINE_MARGIN_MS, type MeshMode } from "./grpc-client";
import { createGrpcServer, type GrpcServer } from "./grpc-server";
import { retryServiceConfig } from "./retry-service-config";
import {
  createCapturedLogger,
  createTestIdentities,
  partialHandlers,
  type TestIdentities,
} from "./testing";

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const retry = {
  maxAttempts: 3,
  initialBackoffMs: 10,
  maxBackoffMs: 50,
  backoffMultiplier: 2,
  retryableStatusCodes: ["UNAVAILABLE" as const],
};

/** order-service calling product-service: retries on, ReleaseStock with its own deadline. */
const orderConfig: RuntimeConfig = {
  ...defaultRuntimeConfig("order-service"),
  upstreams: {
    "product-service": {
      timeoutMs: 60_000,
      retry,
      methods: { ReleaseStock: { retry: { ...retry, maxAttempts: 1 } } },
    },
  },
};

describe("gRPC client", () => {
  let ids: TestIdentities;
  let server: GrpcServer;
  let target: string;
  const attempts = new Map<string, number>();
  const seen = new Map<string, CallContext>();
  const streamAborted = deferred();
  let hold:
    | { entered: ReturnType<typeof deferred<CallContext>>; aborted: ReturnType<typeof deferred> }
    | undefined;

  beforeAll(async () => {
    ids = await createTestIdentities();
    server = createGrpcServer({
      service: "product-service",
      logger: createCapturedLogger("product-service").logger,
      metrics: createMetrics("product-service"),
      runtimeConfig: {
        ...defaultRuntimeConfig("product-service"),
        allowedCallers: {
          "shop.product.v1.ProductService/ReserveStock": ["order-service"],
          "shop.product.v1.ProductService/ReleaseStock": ["order-service"],
        },
      },
      accessTokens: ids.accessTokens,
      serviceTokens: ids.serviceTokens,
      env: {},
      shutdownGraceMs: 1000,
    });
    server.add(
      ProductServiceService,
      partialHandlers(ProductServiceService, {
        async getProduct({ productId }, ctx) {
          seen.set(productId, ctx);
          if (productId === "invalid") {
            throw ServiceError.invalidArgument([
              { field: "product_id", description: "must be a UUID" },
            ]);
          }
          if (productId === "hold" && hold) {
            hold.entered.resolve(ctx);
            ctx.signal.addEventListener("abort", () => hold?.aborted.resolve(undefined));
            await new Promise(() => {});
          }
          return GetProductResponse.fromPartial({ product: { id: productId } });
        },
        // Fails UNAVAILABLE twice per order, then succeeds.
        async reserveStock({ orderId }) {
          const n = (attempts.get(orderId) ?? 0) + 1;
          attempts.set(orderId, n);
          if (n < 3) throw new ServiceError(Code.UNAVAILABLE, `attempt ${n} failed`);
          return ReserveStockResponse.fromPartial({
            state: ReservationState.RESERVATION_STATE_RESERVED,
          });
        },
        async releaseStock({ orderId }) {
          const n = (attempts.get(orderId) ?? 0) + 1;
          attempts.set(orderId, n);
          if (n < 3) throw new ServiceError(Code.UNAVAILABLE, `attempt ${n} failed`);
          return ReleaseStockResponse.fromPartial({
            state: ReservationState.RESERVATION_STATE_RELEASED,
          });
        },
      }),
    );
    server.add(
      OrderServiceService,
      partialHandlers(OrderServiceService, {
        async *watchOrder({ orderId }, ctx) {
          ctx.signal.addEventListener("abort", () => streamAborted.resolve());
          for (let i = 0; ; i++) {
            if (ctx.signal.aborted) return;
            yield { order: Order.fromPartial({ id: orderId, statusReason: String(i) }) };
            await new Promise((r) => setTimeout(r, 5));
          }
        },
      }),
    );
    target = `127.0.0.1:${await server.start("127.0.0.1", 0)}`;
  });
  afterAll(async () => {
    await server.shutdown();
    await ids.close();
  });

  const clientFor = (
    self: "order-service" | "api-gateway",
    meshMode: MeshMode = "local",
    runtimeConfig: RuntimeConfig = self === "order-service"
      ? orderConfig
      : defaultRuntimeConfig(self),
  ) =>
    createGrpcClient(ProductServiceClient, {
      target,
      self,
      signer: ids.signer(self),
      runtimeConfig,
      upstream: "product-service",
      meshMode,
      logger: createCapturedLogger(self).logger,
    });

  it("forwards the caller's user, request id, client address and idempotency key", async () => {
    const client = clientFor("api-gateway");
    const token = await ids.accessToken("u-42", "customer");
    const user = { userId: "u-42", role: "customer" as const, token, expiresAt: 0 };
    try {
      await client.getProduct(
        { productId: "propagate" },
        {
          ctx: {
            user,
            requestId: "req-propagate",
            clientIp: "198.51.100.7",
            idempotencyKey: "idem-1",
          },
        },
      );
      expect(seen.get("propagate")).toMatchObject({
        caller: "api-gateway",
        user: { userId: "u-42", role: "customer" },
        requestId: "req-propagate",
        clientIp: "198.51.100.7",
        idempotencyKey: "idem-1",
      });
      await client.getProduct(
        { productId: "override" },
        { ctx: { idempotencyKey: "a" }, idempotencyKey: "b" },
      );
      expect(seen.get("override")?.idempotencyKey).toBe("b");
    } finally {
      client.close();
    }
  });

  it("does not make another service's x-client-ip count", async () => {
    const client = clientFor("order-service");
    try {
      await client.getProduct({ productId: "from-orders" }, { ctx: { clientIp: "198.51.100.7" } });
      expect(seen.get("from-orders")).toMatchObject({
        caller: "order-service",
        clientIp: undefined,
      });
    } finally {
      client.close();
    }
  });

  it("sets a deadline inside the caller's, and refuses to call past it", async () => {
    const client = clientFor("order-service");
    try {
      const callerDeadline = new Date(Date.now() + 10_000);
      await client.getProduct({ productId: "deadline" }, { ctx: { deadline: callerDeadline } });
      const deadline = seen.get("deadline")?.deadline;
      // The configured timeout is 60 s: the deadline the server saw is the caller's.
      expect(deadline).toBeInstanceOf(Date);
      expect(deadline!.getTime()).toBeLessThan(callerDeadline.getTime() + 1000);

      await client.getProduct({ productId: "configured" });
      expect(seen.get("configured")?.deadline?.getTime()).toBeGreaterThan(Date.now() + 30_000);

      const past = await client
        .getProduct({ productId: "too-late" }, { ctx: { deadline: new Date(Date.now() - 1) } })
        .catch((e: ServiceError) => e);
      expect(past).toMatchObject({ code: Code.DEADLINE_EXCEEDED });
      expect(seen.has("too-late")).toBe(false);

      const cancelled = new AbortController();
      cancelled.abort();
      await expect(
        client.getProduct({ productId: "cancelled" }, { ctx: { signal: cancelled.signal } }),
      ).rejects.toMatchObject({ code: Code.CANCELLED });
      expect(seen.has("cancelled")).toBe(false);
    } finally {
      client.close();
    }
  });

  it("computes the deadline as the earlier of timeout and caller deadline minus the margin", () => {
    const now = 1_000_000;
    expect(callDeadline(now, 500)?.getTime()).toBe(now + 500);
    expect(callDeadline(now, 500, new Date(now + 10_000))?.getTime()).toBe(now + 500);
    expect(callDeadline(now, 5000, new Date(now + 1000))?.getTime()).toBe(
      now + 1000 - DEADLINE_MARGIN_MS,
    );
    expect(callDeadline(now, 5000, new Date(now + DEADLINE_MARGIN_MS))).toBeUndefined();
  });

  it("cancels the upstream call when the caller is cancelled", async () => {
    const client = clientFor("order-service");
    hold = { entered: deferred<CallContext>(), aborted: deferred() };
    try {
      const caller = new AbortController();
      const pending = client.getProduct({ productId: "hold" }, { ctx: { signal: caller.signal } });
      await hold.entered.promise;
      caller.abort();
      await expect(pending).rejects.toMatchObject({ code: Code.CANCELLED });
      await hold.aborted.promise; // the server's handler saw its signal abort
    } finally {
      hold = undefined;
      client.close();
    }
  });

  it("returns errors as ServiceError with code and field violations", async () => {
    const client = clientFor("api-gateway");
    try {
      const error = await client.getProduct({ productId: "invalid" }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServiceError);
      expect(error).toMatchObject({
        code: Code.INVALID_ARGUMENT,
        fieldViolations: [{ field: "product_id", description: "must be a UUID" }],
      });
      // ReserveStock is INTERNAL and the gateway is not an allowed caller.
      await expect(client.reserveStock({ orderId: "gw", items: [] })).rejects.toMatchObject({
        code: Code.PERMISSION_DENIED,
      });
    } finally {
      client.close();
    }
  });

  it("retries UNAVAILABLE in local mode, not under istio, not where a method opts out", async () => {
    const local = clientFor("order-service", "local");
    const istio = clientFor("order-service", "istio");
    try {
      const reserved = await local.reserveStock({ orderId: "local-1", items: [] });
      expect(reserved.state).toBe(ReservationState.RESERVATION_STATE_RESERVED);
      expect(attempts.get("local-1")).toBe(3);

      await expect(istio.reserveStock({ orderId: "istio-1", items: [] })).rejects.toMatchObject({
        code: Code.UNAVAILABLE,
        message: "attempt 1 failed",
      });
      expect(attempts.get("istio-1")).toBe(1);

      await expect(local.releaseStock({ orderId: "release-1" })).rejects.toMatchObject({
        code: Code.UNAVAILABLE,
      });
      expect(attempts.get("release-1")).toBe(1);
    } finally {
      local.close();
      istio.close();
    }
  });

  it("streams server messages as an AsyncIterable and cancels when the reader stops", async () => {
    const client = createGrpcClient(OrderServiceClient, {
      target,
      self: "api-gateway",
      signer: ids.signer("api-gateway"),
      runtimeConfig: defaultRuntimeConfig("api-gateway"),
      upstream: "order-service",
      meshMode: "local",
      logger: createCapturedLogger("api-gateway").logger,
    });
    const token = await ids.accessToken("u-1", "customer");
    try {
      const received: string[] = [];
      for await (const message of client.watchOrder(
        { orderId: "o-1" },
        { ctx: { user: { userId: "u-1", role: "customer", token, expiresAt: 0 } } },
      )) {
        received.push(message.order!.statusReason);
        if (received.length === 3) break;
      }
      expect(received).toEqual(["0", "1", "2"]);
      await streamAborted.promise; // breaking out of the loop cancelled the server's stream
      const denied = client.watchOrder({ orderId: "o-1" })[Symbol.asyncIterator]().next();
      await expect(denied).rejects.toMatchObject({ code: Code.UNAUTHENTICATED });
    } finally {
      client.close();
    }
  });

  it("refuses a signer of another service", () => {
    expect(() =>
      createGrpcClient(ProductServiceClient, {
        target,
        self: "order-service",
        signer: ids.signer("api-gateway"),
        runtimeConfig: orderConfig,
        upstream: "product-service",
        meshMode: "local",
        logger: createCapturedLogger("order-service").logger,
      }),
    ).toThrow(/signs for api-gateway/);
  });
});

describe("retry service config", () => {
  const service = "shop.product.v1.ProductService";

  it("builds the upstream's policy and per-method overrides", () => {
    expect(retryServiceConfig(orderConfig, "product-service", service)).toEqual({
      loadBalancingConfig: [],
      methodConfig: [
        {
          name: [{ service }],
          retryPolicy: {
            maxAttempts: 3,
            initialBackoff: "0.010s",
            maxBackoff: "0.050s",
            backoffMultiplier: 2,
            retryableStatusCodes: ["UNAVAILABLE"],
          },
        },
        { name: [{ service, method: "ReleaseStock" }] },
      ],
    });
  });

  it("falls back to the defaults, and is empty when nothing retries", () => {
    expect(
      retryServiceConfig(defaultRuntimeConfig("order-service"), "product-service", service),
    ).toBeUndefined();
    const config = {
      ...defaultRuntimeConfig("order-service"),
      defaults: { timeoutMs: 1000, retry },
    };
    expect(retryServiceConfig(config, "user-service", service)?.methodConfig).toHaveLength(1);
    const onlyOne: RuntimeConfig = {
      ...defaultRuntimeConfig("order-service"),
      upstreams: { "product-service": { methods: { ReserveStock: { retry } } } },
    };
    expect(retryServiceConfig(onlyOne, "product-service", service)?.methodConfig).toEqual([
      expect.objectContaining({ name: [{ service, method: "ReserveStock" }] }),
    ]);
  });
});

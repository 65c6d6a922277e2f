import {
  type CallOptions,
  credentials,
  type ServiceError as GrpcError,
  Metadata,
} from "@grpc/grpc-js";
import {
  GetProductResponse,
  Product,
  ProductServiceClient,
  ProductServiceService,
  ReserveStockResponse,
} from "@shop/gen/ts/shop/product/v1/product";
import {
  GetMeResponse,
  UserServiceClient,
  UserServiceService,
} from "@shop/gen/ts/shop/user/v1/user";
import { Code, ServiceError } from "../errors";
import { createMetrics } from "../metrics";
import { defaultRuntimeConfig, type RuntimeConfig } from "../runtime-config";
import type { CallContext } from "./call-context";
import { createGrpcServer, type GrpcServer } from "./grpc-server";
import {
  createCapturedLogger,
  createTestIdentities,
  partialHandlers,
  type TestIdentities,
} from "./testing";

/** What the handler saw, sent back in the product's description. */
function echo(ctx: CallContext) {
  return JSON.stringify({
    userId: ctx.user?.userId ?? null,
    role: ctx.user?.role ?? null,
    caller: ctx.caller ?? null,
    clientIp: ctx.clientIp ?? null,
    requestId: ctx.requestId,
    idempotencyKey: ctx.idempotencyKey ?? null,
  });
}

const product = (ctx: CallContext) => Product.fromPartial({ id: "p1", description: echo(ctx) });

const handlers = partialHandlers(ProductServiceService, {
  getProduct: async (_req, ctx) => GetProductResponse.fromPartial({ product: product(ctx) }),
  listProducts: async (_req, ctx) => ({ products: [product(ctx)], nextPageToken: "" }),
  createProduct: async (_req, ctx) => ({ product: product(ctx) }),
  reserveStock: async (_req, ctx) =>
    ReserveStockResponse.fromPartial({ items: [{ productName: echo(ctx) }] }),
});

describe("gRPC server access levels", () => {
  let ids: TestIdentities;
  let server: GrpcServer;
  let client: ProductServiceClient;
  let users: UserServiceClient;
  const runtimeConfig: RuntimeConfig = {
    ...defaultRuntimeConfig("product-service"),
    allowedCallers: { "shop.product.v1.ProductService/ReserveStock": ["order-service"] },
  };

  beforeAll(async () => {
    ids = await createTestIdentities();
    server = createGrpcServer({
      service: "product-service",
      logger: createCapturedLogger("product-service").logger,
      metrics: createMetrics("product-service"),
      runtimeConfig,
      accessTokens: ids.accessTokens,
      serviceTokens: ids.serviceTokens,
      env: {},
      shutdownGraceMs: 1000,
    });
    server.add(ProductServiceService, handlers);
    server.add(
      UserServiceService,
      partialHandlers(UserServiceService, {
        getMe: async (_req, ctx) => GetMeResponse.fromPartial({ user: { id: ctx.user?.userId } }),
      }),
    );
    const port = await server.start("127.0.0.1", 0);
    client = new ProductServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
    users = new UserServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
  });
  afterAll(async () => {
    client.close();
    users.close();
    await server.shutdown();
    await ids.close();
  });

  type Invoke<Res> = (
    md: Metadata,
    o: Partial<CallOptions>,
    cb: (e: GrpcError | null, r: Res) => void,
  ) => unknown;
  function call<Res>(invoke: Invoke<Res>, headers: Record<string, string> = {}): Promise<Res> {
    const md = new Metadata();
    for (const [k, v] of Object.entries(headers)) md.set(k, v);
    return new Promise((resolve, reject) =>
      invoke(md, { deadline: Date.now() + 5000 }, (e, r) =>
        e ? reject(ServiceError.fromGrpc(e)) : resolve(r),
      ),
    );
  }
  const seen = (description: string | undefined) => JSON.parse(description ?? "{}");
  const getProduct = (headers?: Record<string, string>) =>
    call<GetProductResponse>(
      (md, o, cb) => client.getProduct({ productId: "p1" }, md, o, cb),
      headers,
    ).then((r) => seen(r.product?.description));
  const createProduct = (headers?: Record<string, string>) =>
    call<{ product?: Product }>(
      (md, o, cb) => client.createProduct({ product: undefined, initialStock: 0 }, md, o, cb),
      headers,
    ).then((r) => seen(r.product?.description));
  const reserveStock = (headers?: Record<string, string>) =>
    call<ReserveStockResponse>(
      (md, o, cb) => client.reserveStock({ orderId: "o1", items: [] }, md, o, cb),
      headers,
    ).then((r) => seen(r.items[0]?.productName));
  const bearer = async (role: "customer" | "admin", expiresInSec?: number) => ({
    authorization: `Bearer ${await ids.accessToken(`user-${role}`, role, expiresInSec)}`,
  });
  const serviceToken = async (service: "order-service" | "api-gateway") => ({
    "x-service-token": await ids.signer(service).token(),
  });
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error("expected the call to fail");
      },
      (error: ServiceError) => error,
    );

  it("public: open without a token, with the user when a valid token is present", async () => {
    expect(await getProduct()).toMatchObject({ userId: null, caller: null });
    expect(await getProduct(await bearer("customer"))).toMatchObject({ userId: "user-customer" });
  });

  it("public: a present but invalid or malformed token is UNAUTHENTICATED", async () => {
    const bad = await failure(getProduct({ authorization: "Bearer not.a.jwt" }));
    expect(bad.code).toBe(Code.UNAUTHENTICATED);
    const malformed = await failure(getProduct({ authorization: "Basic dXNlcjpwdw==" }));
    expect(malformed.code).toBe(Code.UNAUTHENTICATED);
    expect(malformed.message).toMatch(/Bearer/);
  });

  it("authenticated: a valid token passes, expired or missing is UNAUTHENTICATED", async () => {
    const getMe = (headers?: Record<string, string>) =>
      call<GetMeResponse>((md, o, cb) => users.getMe({}, md, o, cb), headers);
    expect((await getMe(await bearer("customer"))).user?.id).toBe("user-customer");
    const expired = await failure(getMe(await bearer("customer", -120)));
    expect(expired).toMatchObject({ code: Code.UNAUTHENTICATED, message: "access token expired" });
    expect((await failure(getMe())).code).toBe(Code.UNAUTHENTICATED);
  });

  it("admin: role admin passes, a customer is PERMISSION_DENIED, nobody is UNAUTHENTICATED", async () => {
    expect(await createProduct(await bearer("admin"))).toMatchObject({ role: "admin" });
    expect((await failure(createProduct(await bearer("customer")))).code).toBe(
      Code.PERMISSION_DENIED,
    );
    expect((await failure(createProduct())).code).toBe(Code.UNAUTHENTICATED);
  });

  it("internal: needs a service token from an allowed caller", async () => {
    const none = await failure(reserveStock());
    expect(none.code).toBe(Code.UNAUTHENTICATED);
    // A user's token is no service identity, even an admin's.
    expect((await failure(reserveStock(await bearer("admin")))).code).toBe(Code.UNAUTHENTICATED);
    const gateway = await failure(reserveStock(await serviceToken("api-gateway")));
    expect(gateway.code).toBe(Code.PERMISSION_DENIED);
    expect(gateway.message).toMatch(/api-gateway is not an allowed caller/);
    expect(await reserveStock(await serviceToken("order-service"))).toMatchObject({
      caller: "order-service",
    });
  });

  it("internal: a forged service token is UNAUTHENTICATED", async () => {
    const token = (await ids.signer("order-service").token()).replace(/.{4}$/, "AAAA");
    expect((await failure(reserveStock({ "x-service-token": token }))).code).toBe(
      Code.UNAUTHENTICATED,
    );
  });

  it("a service token on a non-internal call sets the caller; x-client-ip only from api-gateway", async () => {
    const fromGateway = await getProduct({
      ...(await serviceToken("api-gateway")),
      "x-client-ip": "203.0.113.9",
    });
    expect(fromGateway).toMatchObject({ caller: "api-gateway", clientIp: "203.0.113.9" });
    const fromOrders = await getProduct({
      ...(await serviceToken("order-service")),
      "x-client-ip": "203.0.113.9",
    });
    expect(fromOrders).toMatchObject({ caller: "order-service", clientIp: null });
    expect(await getProduct({ "x-client-ip": "203.0.113.9" })).toMatchObject({ clientIp: null });
    const garbage = await getProduct({
      ...(await serviceToken("api-gateway")),
      "x-client-ip": "not-an-ip",
    });
    expect(garbage.clientIp).toBeNull();
  });

  it("keeps a plain request id and idempotency key, replaces a malformed request id", async () => {
    const kept = await getProduct({ "x-request-id": "req-42", "idempotency-key": "key-1" });
    expect(kept).toMatchObject({ requestId: "req-42", idempotencyKey: "key-1" });
    const replaced = await getProduct({ "x-request-id": "bad id with spaces" });
    expect(replaced.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const tooLong = await failure(getProduct({ "idempotency-key": "k".repeat(300) }));
    expect(tooLong.code).toBe(Code.INVALID_ARGUMENT);
    expect(tooLong.fieldViolations[0]?.field).toBe("idempotency-key");
  });

  it("an RPC without a handler is UNIMPLEMENTED", async () => {
    const error = await failure(
      call(
        (md, o, cb) => client.deleteProduct({ productId: "p1" }, md, o, cb),
        await bearer("admin"),
      ),
    );
    expect(error.code).toBe(Code.UNIMPLEMENTED);
  });
});

describe("gRPC server access map", () => {
  let ids: TestIdentities;
  beforeAll(async () => {
    ids = await createTestIdentities();
  });
  afterAll(() => ids.close());

  it("enforces AUTHENTICATED, and refuses a method missing from the map", async () => {
    const server = createGrpcServer({
      service: "product-service",
      logger: createCapturedLogger("product-service").logger,
      metrics: createMetrics("product-service"),
      runtimeConfig: defaultRuntimeConfig("product-service"),
      accessTokens: ids.accessTokens,
      serviceTokens: ids.serviceTokens,
      env: {},
      shutdownGraceMs: 1000,
      // GetProduct authenticated; ListProducts left out, as if its option were unset.
      accessLevels: new Map([["/shop.product.v1.ProductService/GetProduct", "authenticated"]]),
    });
    server.add(ProductServiceService, handlers);
    const port = await server.start("127.0.0.1", 0);
    const client = new ProductServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
    const get = (token?: string) =>
      new Promise<GetProductResponse>((resolve, reject) => {
        const md = new Metadata();
        if (token) md.set("authorization", `Bearer ${token}`);
        client.getProduct({ productId: "p" }, md, (e, r) =>
          e ? reject(ServiceError.fromGrpc(e)) : resolve(r),
        );
      });
    try {
      const ok = await get(await ids.accessToken("u1", "customer"));
      expect(JSON.parse(ok.product!.description).userId).toBe("u1");
      await expect(get()).rejects.toMatchObject({ code: Code.UNAUTHENTICATED });
      await expect(get(await ids.accessToken("u1", "customer", -120))).rejects.toMatchObject({
        code: Code.UNAUTHENTICATED,
        message: "access token expired",
      });
      const unlisted = await new Promise<GrpcError | null>((resolve) =>
        client.listProducts({ pageSize: 1, pageToken: "", query: "", filter: undefined }, (e) =>
          resolve(e),
        ),
      );
      expect(unlisted?.code).toBe(Code.PERMISSION_DENIED);
    } finally {
      client.close();
      await server.shutdown();
    }
  });
});

/**
 * Test support for order-service's specs: the real user-service, product-service and
 * order-service on port 0, each against its own scratch database, sharing the real
 * Redis under one key prefix, with real gRPC clients. user-service holds the accounts
 * CreateOrder checks (GetUser) and publishes UserDeleted; the access tokens come from a
 * test issuer (for the accounts' real ids), so a spec can make any token it needs.
 *
 * product-service and user-service are passed in by the spec (`startProductService`
 * from @shop/product-service, `startUserService` from @shop/user-service): only spec
 * files may import another service's code.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OrderServiceClient, type OrderServiceService } from "@shop/gen/ts/shop/order/v1/order";
import {
  type Product,
  ProductServiceClient,
  type ProductServiceService,
} from "@shop/gen/ts/shop/product/v1/product";
import { UserServiceClient, type UserServiceService } from "@shop/gen/ts/shop/user/v1/user";
import type { UserIdentity } from "@shop/libs/auth";
import type { Env } from "@shop/libs/config";
import { createPool } from "@shop/libs/db";
import type { GrpcClient } from "@shop/libs/grpc";
import { createLogger } from "@shop/libs/logging";
import { closeRedis, createRedis, deleteKeysWithPrefix, whenRedisReady } from "@shop/libs/redis";
import {
  createScratchDatabase,
  createTestClient,
  createTestIssuer,
  type ScratchDatabase,
  TEST_ADMIN_URL,
  type TestIssuer,
  testServiceEnv,
  uniquePrefix,
  eventually as waitFor,
} from "@shop/libs/testing";
import type { Pool } from "pg";
import { type RunningOrderService, startOrderService } from "../src/order-service";
import type { PaymentProvider } from "../src/payment-provider";

export type OrderClient = GrpcClient<typeof OrderServiceService>;
export type ProductClient = GrpcClient<typeof ProductServiceService>;
export type UserClient = GrpcClient<typeof UserServiceService>;
export type CallAs = { ctx: { user: UserIdentity } };

/** What the spec passes in: `startProductService` of @shop/product-service. */
export type StartProductService = (options: {
  env: Env;
}) => Promise<{ grpcPort: number; stop(): Promise<void> }>;

/** What the spec passes in: `startUserService` of @shop/user-service. */
export type StartUserService = StartProductService;

/** The password of every account customer() registers. */
export const CUSTOMER_PASSWORD = "order-test-pw1";

export interface OrderInstance {
  readonly service: RunningOrderService;
  /** Calls as api-gateway; pass `as(user)` for the end user. */
  readonly client: OrderClient;
  stop(): Promise<void>;
}

export interface OrderTestMesh {
  readonly issuer: TestIssuer;
  readonly orderDatabase: ScratchDatabase;
  /** The first order-service instance. */
  readonly order: OrderInstance;
  readonly products: ProductClient;
  /** The orders database, for checking what the saga persisted. */
  readonly pool: Pool;
  /** The environment of the first instance, e.g. for a child process. */
  readonly orderEnv: Env;
  readonly productGrpcPort: number;
  /** user-service, called as api-gateway. */
  readonly users: UserClient;
  admin(): Promise<CallAs>;
  /**
   * A customer with a real account in user-service (a new one each call). With a
   * `userId`, only a token for it: no account exists unless the spec made one.
   */
  customer(userId?: string): Promise<CallAs>;
  /** Erases the customer's account through user-service's DeleteMe (UserDeleted follows). */
  eraseAccount(as: CallAs): Promise<void>;
  createProduct(options?: { price?: bigint; currency?: string; stock?: number }): Promise<Product>;
  availableStock(productId: string): Promise<number>;
  /** Another order-service instance on the same database and Redis prefix. */
  startOrderInstance(overrides?: Env, payments?: PaymentProvider): Promise<OrderInstance>;
  stopProductService(): Promise<void>;
  restartProductService(): Promise<void>;
  stopUserService(): Promise<void>;
  restartUserService(): Promise<void>;
  stop(): Promise<void>;
}

function writeJson(name: string, value: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), "order-test-")), name);
  writeFileSync(path, JSON.stringify(value));
  return path;
}

const NO_RETRIES = {
  timeoutMs: 5_000,
  retry: {
    maxAttempts: 1,
    initialBackoffMs: 100,
    maxBackoffMs: 1_000,
    backoffMultiplier: 2,
    retryableStatusCodes: ["UNAVAILABLE"],
  },
};

/** Admits order-service to user-service's GetUser. */
function userRuntimeConfig(): string {
  return writeJson("user-service.json", {
    service: "user-service",
    defaults: NO_RETRIES,
    allowedCallers: { "shop.user.v1.UserService/GetUser": ["order-service"] },
  });
}

/** Admits order-service to product-service's internal stock RPCs. */
function productRuntimeConfig(): string {
  const rpcs = ["ReserveStock", "ReleaseStock", "CommitStock", "ReturnStock"];
  return writeJson("product-service.json", {
    service: "product-service",
    defaults: NO_RETRIES,
    allowedCallers: Object.fromEntries(
      rpcs.map((rpc) => [`shop.product.v1.ProductService/${rpc}`, ["order-service"]]),
    ),
  });
}

let skus = 0;

export async function startOrderTestMesh(options: {
  startProductService: StartProductService;
  startUserService: StartUserService;
  orderEnv?: Env;
  payments?: PaymentProvider;
}): Promise<OrderTestMesh> {
  const issuer = await createTestIssuer();
  const userDatabase = await createScratchDatabase(TEST_ADMIN_URL);
  const productDatabase = await createScratchDatabase(TEST_ADMIN_URL);
  const orderDatabase = await createScratchDatabase(TEST_ADMIN_URL);
  const prefix = uniquePrefix("order-test");
  const userEnv = testServiceEnv({
    ...issuer.env,
    DATABASE_URL: userDatabase.url,
    REDIS_KEY_PREFIX: prefix,
    RUNTIME_CONFIG_PATH: userRuntimeConfig(),
    USER_KEK: randomBytes(32).toString("base64"),
    // Argon2id at its cheapest allowed setting: these tests are not about hashing.
    PASSWORD_HASH_MEMORY_KIB: "7168",
    PASSWORD_HASH_ITERATIONS: "1",
    PASSWORD_HASH_PARALLELISM: "1",
  });
  let user = await options.startUserService({ env: userEnv });
  const userGrpcPort = user.grpcPort;
  const productEnv = testServiceEnv({
    ...issuer.env,
    DATABASE_URL: productDatabase.url,
    REDIS_KEY_PREFIX: prefix,
    RUNTIME_CONFIG_PATH: productRuntimeConfig(),
    RESERVATION_SWEEP_INTERVAL: "1h",
    CACHE_ENABLED: "false",
  });
  let product = await options.startProductService({ env: productEnv });
  const productGrpcPort = product.grpcPort;
  const orderEnv = testServiceEnv({
    ...issuer.env,
    DATABASE_URL: orderDatabase.url,
    REDIS_KEY_PREFIX: prefix,
    PRODUCT_SERVICE_ADDR: `127.0.0.1:${productGrpcPort}`,
    USER_SERVICE_ADDR: `127.0.0.1:${userGrpcPort}`,
    RUNTIME_CONFIG_PATH: writeJson("order-service.json", {
      service: "order-service",
      defaults: NO_RETRIES,
    }),
    PRODUCT_CALL_TIMEOUT: "2s",
    PAYMENT_TIMEOUT: "400ms",
    SAGA_RECOVERY_INTERVAL: "1h",
    ...options.orderEnv,
  });
  const instances: OrderInstance[] = [];
  async function startOrderInstance(overrides: Env = {}, payments?: PaymentProvider) {
    const service = await startOrderService({
      env: { ...orderEnv, ...overrides },
      ...(payments ? { paymentProvider: payments } : {}),
    });
    const client = await createTestClient(OrderServiceClient, {
      port: service.grpcPort,
      upstream: "order-service",
    });
    const instance: OrderInstance = {
      service,
      client,
      async stop() {
        client.close();
        await service.stop();
      },
    };
    instances.push(instance);
    return instance;
  }
  const order = await startOrderInstance({}, options.payments);
  const products = await createTestClient(ProductServiceClient, {
    port: productGrpcPort,
    upstream: "product-service",
  });
  const pool = createPool({
    url: orderDatabase.url,
    applicationName: "order-test",
    logger: createLogger({ service: "order-service", level: "silent" }),
  });
  const users = await createTestClient(UserServiceClient, {
    port: userGrpcPort,
    upstream: "user-service",
  });
  const admin = await issuer.user(undefined, "admin");
  let productStopped = false;
  let userStopped = false;

  return {
    issuer,
    orderDatabase,
    order,
    products,
    pool,
    orderEnv,
    productGrpcPort,
    admin: async () => ({ ctx: { user: admin } }),
    users,
    async customer(userId) {
      if (userId !== undefined) return { ctx: { user: await issuer.user(userId) } };
      const { user: account } = await users.register({
        email: `order-test-${randomBytes(6).toString("hex")}@example.com`,
        password: CUSTOMER_PASSWORD,
        name: "",
      });
      return { ctx: { user: await issuer.user(account!.id) } };
    },
    async eraseAccount(as) {
      await users.deleteMe({ password: CUSTOMER_PASSWORD }, as);
    },
    async createProduct({ price = 1250n, currency = "EUR", stock = 10 } = {}) {
      skus += 1;
      const { product: created } = await products.createProduct(
        {
          product: {
            id: "",
            sku: `ORD-${process.pid}-${Date.now().toString(36)}-${skus}`,
            name: `Order test product ${skus}`,
            description: "",
            price: { currencyCode: currency, amountMinor: price },
            imageUrl: "",
            category: "tests",
            tags: [],
            active: true,
            createTime: undefined,
            updateTime: undefined,
            version: 0n,
            availableStock: 0,
          },
          initialStock: stock,
        },
        { ctx: { user: admin } },
      );
      return created!;
    },
    async availableStock(productId) {
      const { product: read } = await products.getProduct({ productId });
      return read!.availableStock;
    },
    startOrderInstance,
    async stopProductService() {
      productStopped = true;
      await product.stop();
    },
    async restartProductService() {
      product = await options.startProductService({
        env: { ...productEnv, GRPC_PORT: String(productGrpcPort) },
      });
      productStopped = false;
    },
    async stopUserService() {
      userStopped = true;
      await user.stop();
    },
    async restartUserService() {
      user = await options.startUserService({
        env: { ...userEnv, GRPC_PORT: String(userGrpcPort) },
      });
      userStopped = false;
    },
    async stop() {
      products.close();
      users.close();
      for (const instance of instances.reverse()) await instance.stop();
      if (!productStopped) await product.stop();
      if (!userStopped) await user.stop();
      await pool.end();
      await issuer.close();
      await orderDatabase.drop();
      await productDatabase.drop();
      await userDatabase.drop();
      await deleteTestKeys(orderEnv.REDIS_URL ?? "redis://127.0.0.1:6379", prefix);
    },
  };
}

async function deleteTestKeys(url: string, prefix: string): Promise<void> {
  const redis = createRedis({
    url,
    name: "order-test-cleanup",
    logger: createLogger({ service: "order-service", level: "silent" }),
  });
  try {
    if (await whenRedisReady(redis, 2_000)) await deleteKeysWithPrefix(redis, prefix);
  } finally {
    await closeRedis(redis);
  }
}

/** Polls `check` until it yields a value (libs' `eventually`), giving up after 15 s. */
export const eventually = <T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 15_000,
): Promise<T> => waitFor(what, check, { timeoutMs, intervalMs: 25 });

/** The rejection of `promise`, which must reject. */
export async function rejectionOf(promise: Promise<unknown>): Promise<{
  code: number;
  message: string;
  fieldViolations: readonly { field: string; description: string }[];
  reason: string | undefined;
}> {
  try {
    await promise;
  } catch (error) {
    return error as never;
  }
  throw new Error("expected the call to fail, but it succeeded");
}

/** What the saga persisted about an order, beyond what the contract shows. */
export async function sagaRow(pool: Pool, orderId: string) {
  const { rows } = await pool.query<{
    saga_step: string;
    payment_state: string;
    stock_state: string;
    payment_token: string | null;
    lease_owner: string | null;
  }>(
    "SELECT saga_step, payment_state, stock_state, payment_token, lease_owner FROM orders WHERE id = $1",
    [orderId],
  );
  return rows[0];
}

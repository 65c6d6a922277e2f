/**
 * Test support for product-service's specs: the real service on port 0 against a
 * scratch database and the shared Redis (its own key prefix), a token issuer standing
 * in for user-service, and real gRPC clients calling as api-gateway (public and admin
 * RPCs) and as order-service (the internal stock RPCs).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type CreateProductRequest,
  type Product,
  ProductServiceClient,
  type ProductServiceService,
} from "@shop/gen/ts/shop/product/v1/product";
import type { UserIdentity } from "@shop/libs/auth";
import type { Env } from "@shop/libs/config";
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
  eventually as waitFor,
} from "@shop/libs/testing";
import type { Pool } from "pg";
import { type RunningProductService, startProductService } from "../src/product-service";

export type ProductClient = GrpcClient<typeof ProductServiceService>;

export interface ProductTestContext {
  readonly service: RunningProductService;
  readonly database: ScratchDatabase;
  readonly issuer: TestIssuer;
  /** Calls as api-gateway: public reads, admin writes with `admin()`. */
  readonly gateway: ProductClient;
  /** Calls as order-service: the internal stock RPCs. */
  readonly orders: ProductClient;
  readonly pool: Pool;
  /** Call options carrying an admin's (or a customer's) access token. */
  admin(): { ctx: { user: UserIdentity } };
  customer(): { ctx: { user: UserIdentity } };
  stop(): Promise<void>;
}

const INTERNAL_RPCS = ["ReserveStock", "ReleaseStock", "CommitStock", "ReturnStock"];

/** A runtime config that admits order-service to the internal stock RPCs. */
export function writeTestRuntimeConfig(): string {
  const dir = mkdtempSync(join(tmpdir(), "product-runtime-"));
  const path = join(dir, "product-service.json");
  writeFileSync(
    path,
    JSON.stringify({
      service: "product-service",
      defaults: {
        timeoutMs: 5000,
        retry: {
          maxAttempts: 1,
          initialBackoffMs: 100,
          maxBackoffMs: 1000,
          backoffMultiplier: 2,
          retryableStatusCodes: ["UNAVAILABLE"],
        },
      },
      allowedCallers: Object.fromEntries(
        INTERNAL_RPCS.map((rpc) => [`shop.product.v1.ProductService/${rpc}`, ["order-service"]]),
      ),
    }),
  );
  return path;
}

export async function startTestProductService(overrides: Env = {}): Promise<ProductTestContext> {
  const database = await createScratchDatabase(TEST_ADMIN_URL);
  const issuer = await createTestIssuer();
  const env = testServiceEnv({
    ...issuer.env,
    DATABASE_URL: database.url,
    DATABASE_POOL_MAX: "20",
    RUNTIME_CONFIG_PATH: writeTestRuntimeConfig(),
    RESERVATION_SWEEP_INTERVAL: "1h",
    ...overrides,
  });
  let service: RunningProductService;
  try {
    service = await startProductService({ env });
  } catch (error) {
    await issuer.close();
    await database.drop();
    throw error;
  }
  const port = service.grpcPort;
  const gateway = await createTestClient(ProductServiceClient, {
    port,
    upstream: "product-service",
  });
  const orders = await createTestClient(ProductServiceClient, {
    port,
    upstream: "product-service",
    as: "order-service",
  });
  const adminUser = await issuer.user(undefined, "admin");
  const customerUser = await issuer.user(undefined, "customer");
  return {
    service,
    database,
    issuer,
    gateway,
    orders,
    pool: service.runtime.pool,
    admin: () => ({ ctx: { user: adminUser } }),
    customer: () => ({ ctx: { user: customerUser } }),
    async stop() {
      gateway.close();
      orders.close();
      await service.stop();
      await issuer.close();
      await database.drop();
      await deleteTestKeys(env.REDIS_URL ?? "redis://127.0.0.1:6379", env.REDIS_KEY_PREFIX!);
    },
  };
}

/** Removes the cache entries and streams the test left in Redis under its prefix. */
async function deleteTestKeys(url: string, prefix: string): Promise<void> {
  const redis = createRedis({
    url,
    name: "test-cleanup",
    logger: createLogger({ service: "product-service", level: "silent" }),
  });
  try {
    if (await whenRedisReady(redis, 2_000)) await deleteKeysWithPrefix(redis, prefix);
  } finally {
    await closeRedis(redis);
  }
}

let counter = 0;

/** A valid CreateProduct product; `overrides` replace fields. */
export function newProduct(overrides: Partial<Product> = {}): Product {
  counter += 1;
  const sku = `SKU-${process.pid}-${Date.now().toString(36)}-${counter}`;
  return {
    id: "",
    sku,
    name: `Test product ${counter}`,
    description: "A product made by a test.",
    price: { currencyCode: "EUR", amountMinor: 1250n },
    imageUrl: "https://images.example.com/p.jpg",
    category: "tests",
    tags: ["test"],
    active: true,
    createTime: undefined,
    updateTime: undefined,
    version: 0n,
    availableStock: 0,
    ...overrides,
  };
}

/** Creates a product as admin and returns it. */
export async function createProduct(
  t: ProductTestContext,
  overrides: Partial<Product> = {},
  initialStock = 10,
): Promise<Product> {
  const request: CreateProductRequest = { product: newProduct(overrides), initialStock };
  const { product } = await t.gateway.createProduct(request, t.admin());
  return product!;
}

/** Polls `check` until it yields a value (libs' `eventually`), giving up after 10 s. */
export const eventually = <T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 10_000,
): Promise<T> => waitFor(what, check, { timeoutMs, intervalMs: 20 });

/** The rejection of `promise`, which must reject. */
export async function rejectionOf(promise: Promise<unknown>): Promise<{
  code: number;
  message: string;
  fieldViolations: readonly { field: string }[];
  preconditionViolations: readonly { type: string; subject: string }[];
  reason: string | undefined;
}> {
  try {
    await promise;
  } catch (error) {
    return error as never;
  }
  throw new Error("expected the call to fail, but it succeeded");
}

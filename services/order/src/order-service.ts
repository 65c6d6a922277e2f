/**
 * order-service: orders and their saga. Wires the shared runtime (database, Redis,
 * gRPC, admin HTTP, outbox relay, event consumers) to the domain; no module-level
 * state, so the embedded mode can start it in a process shared with the others.
 */
import { join } from "node:path";
import { OrderServiceService } from "@shop/gen/ts/shop/order/v1/order";
import { ProductServiceClient } from "@shop/gen/ts/shop/product/v1/product";
import { UserServiceClient } from "@shop/gen/ts/shop/user/v1/user";
import type { Env } from "@shop/libs/config";
import {
  createServiceRuntime,
  type DatabaseServiceRuntime,
  type Infrastructure,
  type ServiceRuntimeOptions,
} from "@shop/libs/service";
import { Counter } from "prom-client";
import { createOrderCancellation } from "./order-cancellation";
import { parseOrderConfig } from "./order-config";
import { createOrderHandlers } from "./order-handlers";
import { createOrderPlacement } from "./order-placement";
import { createOrderRepository } from "./order-repository";
import { createOrderSaga, type OrderSaga } from "./order-saga";
import { createOrderWatchHub, type OrderWatchHub } from "./order-watch-hub";
import type { PaymentProvider } from "./payment-provider";
import { createProductInventory } from "./product-inventory";
import { createSagaLeases } from "./saga-leases";
import { createSagaRecovery, type SagaRecovery } from "./saga-recovery";
import { createTestPaymentProvider } from "./test-payment-provider";
import { createUserAccounts } from "./user-accounts";
import { createUserDeletedHandler, USER_DELETED } from "./user-deleted-handler";

/** The service's SQL migrations (namespace "order-service"). */
export const ORDER_MIGRATIONS_DIR = join(__dirname, "..", "migrations");

export interface OrderServiceOptions {
  env: Env;
  /** The embedded mode's in-memory adapters; Redis at REDIS_URL otherwise. */
  infrastructure?: Infrastructure;
  logDestination?: ServiceRuntimeOptions["logDestination"];
  /** Default: the provider PAYMENT_PROVIDER names (the built-in test provider). */
  paymentProvider?: PaymentProvider;
}

export interface RunningOrderService {
  readonly runtime: DatabaseServiceRuntime;
  readonly grpcPort: number;
  readonly httpPort: number;
  readonly payments: PaymentProvider;
  readonly saga: OrderSaga;
  readonly recovery: SagaRecovery;
  readonly watchHub: OrderWatchHub;
  stop(): Promise<void>;
}

export async function startOrderService(
  options: OrderServiceOptions,
): Promise<RunningOrderService> {
  const config = parseOrderConfig(options.env);
  const runtime = await createServiceRuntime({
    name: "order-service",
    env: options.env,
    database: { url: config.DATABASE_URL, migrationsDir: ORDER_MIGRATIONS_DIR },
    ...(options.infrastructure ? { infrastructure: options.infrastructure } : {}),
    ...(options.logDestination ? { logDestination: options.logDestination } : {}),
  });
  const { pool, logger } = runtime;
  const finished = new Counter({
    name: "order_sagas_finished_total",
    help: "Sagas that reached a final state, by status.",
    labelNames: ["status"],
    registers: [runtime.metrics.registry],
  });
  const recovered = new Counter({
    name: "order_sagas_recovered_total",
    help: "Sagas taken on by the recovery loop.",
    registers: [runtime.metrics.registry],
  });

  const repository = createOrderRepository(pool);
  const leases = createSagaLeases(pool);
  const inventory = createProductInventory(runtime.client(ProductServiceClient, "product-service"));
  const payments = options.paymentProvider ?? createTestPaymentProvider();
  const timeouts = {
    productCallMs: config.PRODUCT_CALL_TIMEOUT,
    paymentCallMs: config.PAYMENT_TIMEOUT,
  };
  const saga = createOrderSaga({
    repository,
    leases,
    inventory,
    payments,
    timeouts,
    logger,
    onFinished: (order) => finished.inc({ status: order.status }),
    ...(config.FAULT_SAGA_CRASH
      ? {
          crash: {
            point: config.FAULT_SAGA_CRASH,
            kill: () => process.kill(process.pid, "SIGKILL"),
          },
        }
      : {}),
  });
  const accounts = createUserAccounts({
    client: runtime.client(UserServiceClient, "user-service"),
    pool,
    timeoutMs: config.USER_CALL_TIMEOUT,
    logger,
    registry: runtime.metrics.registry,
  });
  const placement = createOrderPlacement({
    repository,
    saga,
    inventory,
    accounts,
    productCallMs: config.PRODUCT_CALL_TIMEOUT,
    sagaDeadlineMs: config.SAGA_DEADLINE,
  });
  const watchHub = createOrderWatchHub({ bus: runtime.infrastructure.bus, logger });
  const recovery = createSagaRecovery({
    repository,
    leases,
    saga,
    logger,
    intervalMs: config.SAGA_RECOVERY_INTERVAL,
    idleMs: config.SAGA_RECOVERY_AFTER,
    batchSize: config.SAGA_RECOVERY_BATCH,
    runMs: config.SAGA_DEADLINE,
    onPass: (n) => recovered.inc(n),
  });

  runtime.grpc.add(
    OrderServiceService,
    createOrderHandlers({
      repository,
      placement,
      cancel: createOrderCancellation({ repository, leases, saga, placement }),
      watch: { hub: watchHub, resyncMs: config.WATCH_RESYNC_INTERVAL },
    }),
  );
  runtime.consume(["user-service"], { [USER_DELETED]: createUserDeletedHandler(logger) });
  // After the gRPC server drained: no new runs start, the running ones stop at their
  // next step and release their leases for whichever instance continues them.
  runtime.onStop(async () => {
    await recovery.stop();
    await saga.stop();
    await watchHub.close();
  });

  let ports: { grpcPort: number; httpPort: number };
  try {
    ports = await runtime.start();
  } catch (error) {
    await runtime.stop().catch(() => undefined);
    throw error;
  }
  recovery.start();
  if (config.FAULT_SAGA_CRASH) {
    logger.warn(
      { crash: config.FAULT_SAGA_CRASH },
      "FAULT_SAGA_CRASH is armed: the process will kill itself",
    );
  }
  return {
    runtime,
    ...ports,
    payments,
    saga,
    recovery,
    watchHub,
    stop: () => runtime.stop(),
  };
}

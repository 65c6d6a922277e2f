/**
 * Crash recovery: order-service runs as its own process (main.ts) and is killed with
 * SIGKILL between saga steps (the FAULT_SAGA_CRASH hook, off by default); started
 * again, it must bring every saga to a final state without leaking stock.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { OrderServiceClient, OrderStatus } from "@shop/gen/ts/shop/order/v1/order";
import type { Env } from "@shop/libs/config";
import { createTestClient } from "@shop/libs/testing";
import { startProductService } from "@shop/product-service";
import { startUserService } from "@shop/user-service";
import {
  eventually,
  type OrderClient,
  type OrderTestMesh,
  startOrderTestMesh,
} from "../test/order-test-mesh";

const REPO_ROOT = join(__dirname, "..", "..", "..");

interface OrderProcess {
  readonly child: ChildProcess;
  readonly client: OrderClient;
  readonly exited: Promise<NodeJS.Signals | number | null>;
  stop(): Promise<void>;
}

/** Starts `tsx services/order/src/main.ts`; resolves once it logged its gRPC port. */
async function startOrderProcess(env: Env): Promise<OrderProcess> {
  const tsx = pathToFileURL(require.resolve("tsx")).href;
  const child = spawn(process.execPath, ["--import", tsx, "services/order/src/main.ts"], {
    cwd: REPO_ROOT,
    env: { ...env, LOG_LEVEL: "info", GRPC_PORT: "0", HTTP_PORT: "0" } as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once("exit", (code, signal) => resolve(signal ?? code)),
  );
  const output: string[] = [];
  child.stderr!.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on("line", (line) => {
      output.push(line);
      const match = /"grpcPort":(\d+)/.exec(line);
      if (match && line.includes("order-service ready")) resolve(Number(match[1]));
    });
    void exited.then((status) =>
      reject(new Error(`order-service exited (${status}) before ready:\n${output.join("\n")}`)),
    );
  });
  const client = await createTestClient(OrderServiceClient, { port, upstream: "order-service" });
  return {
    child,
    client,
    exited,
    async stop() {
      client.close();
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

describe("saga recovery after a crash", () => {
  let mesh: OrderTestMesh;

  beforeAll(async () => {
    mesh = await startOrderTestMesh({ startProductService, startUserService });
  });
  afterAll(() => mesh?.stop());

  it("finishes or compensates every saga interrupted by SIGKILL, leaking no stock", async () => {
    const product = await mesh.createProduct({ stock: 100 });
    const env: Env = {
      ...mesh.orderEnv,
      PRODUCT_CALL_TIMEOUT: "1s",
      SAGA_RECOVERY_AFTER: "0ms",
      SAGA_RECOVERY_INTERVAL: "200ms",
    };
    const customer = await mesh.customer();
    const tokens = [
      "tok_approve",
      "tok_decline",
      "tok_approve",
      "tok_approve",
      "tok_decline",
      "tok_approve",
    ];
    const placeAll = (client: OrderClient) =>
      Promise.allSettled(
        tokens.map((paymentToken, i) =>
          client.createOrder(
            { productId: product.id, quantity: i + 1, items: [], paymentToken },
            customer,
          ),
        ),
      );

    // 1. Killed right after ReserveStock answered, before the order recorded it.
    const first = await startOrderProcess({ ...env, FAULT_SAGA_CRASH: "after-call:RESERVE_STOCK" });
    const outcomes = await placeAll(first.client);
    expect(await first.exited).toBe("SIGKILL");
    first.client.close();
    expect(outcomes.some((o) => o.status === "rejected")).toBe(true);

    // 2. Restarted: the recovery loop resumes them, and the process is killed again
    //    right after a payment authorization was recorded. New orders arrive meanwhile.
    const second = await startOrderProcess({
      ...env,
      FAULT_SAGA_CRASH: "after-persist:AUTHORIZE_PAYMENT",
    });
    await placeAll(second.client);
    expect(await second.exited).toBe("SIGKILL");
    second.client.close();

    // 3. Restarted without the fault: every saga reaches a final state.
    const third = await startOrderProcess(env);
    try {
      await eventually(
        "every saga to finish",
        async () => {
          const { rows } = await mesh.pool.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM orders WHERE saga_step <> 'DONE' OR status = 'PENDING'",
          );
          return rows[0]!.n === 0;
        },
        25_000,
      );
    } finally {
      await third.stop();
    }

    const { rows } = await mesh.pool.query<{
      id: string;
      status: string;
      stock_state: string;
      payment_state: string;
      quantity: number;
      declined: boolean;
    }>(
      `SELECT o.id, o.status, o.stock_state, o.payment_state, i.quantity,
              o.status_reason = 'payment declined' AS declined
         FROM orders o JOIN order_items i ON i.order_id = o.id`,
    );
    expect(rows.length).toBeGreaterThanOrEqual(2);
    const confirmed = rows.filter((r) => r.status === "CONFIRMED");
    expect(confirmed.length).toBeGreaterThan(0);
    for (const r of rows) {
      if (r.status === "CONFIRMED")
        expect(r).toMatchObject({ stock_state: "COMMITTED", payment_state: "AUTHORIZED" });
      else
        expect(r).toMatchObject({ status: "CANCELLED", declined: true, stock_state: "RELEASED" });
    }
    const sold = confirmed.reduce((sum, r) => sum + r.quantity, 0);
    expect(await eventually("stock", () => mesh.availableStock(product.id))).toBe(100 - sold);

    // Each saga reserved once in its record (a repeat of ReserveStock after the crash is
    // the same reservation), and some were finished by a later run than their first.
    const { rows: runs } = await mesh.pool.query<{ reserved: number; saga_runs: number }>(
      `SELECT (SELECT count(*)::int FROM saga_log l
                WHERE l.order_id = o.id AND l.step = 'RESERVE_STOCK' AND l.outcome = 'OK') AS reserved,
              o.saga_runs
         FROM orders o`,
    );
    expect(runs.every((r) => r.reserved === 1)).toBe(true);
    expect(runs.some((r) => r.saga_runs > 1)).toBe(true);
    const read = await mesh.order.client.getOrder({ orderId: confirmed[0]!.id }, customer);
    expect(read.order?.status).toBe(OrderStatus.ORDER_STATUS_CONFIRMED);
  });
});

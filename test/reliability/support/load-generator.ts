/**
 * The load generator: a separate process (`tsx load-generator.ts <config.json>`) that
 * places orders through the gateway at a fixed rate while a fault test breaks things,
 * and writes every attempt as a JSON line to the config's `out` file. Bounded by
 * count and time, loopback only; it never loops without an end.
 *
 * Like a careful client, it retries an order whose answer was an error or no answer
 * with the same Idempotency-Key, a few times, so "acknowledged" means the client got
 * a 200 with an order id for that key, and a key that got two different ids is a bug.
 */
import { appendFileSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

export interface LoadConfig {
  gatewayUrl: string;
  /** Must be a loopback URL. */
  runId: string;
  users: { token: string }[];
  productIds: string[];
  orders: number;
  ordersPerSecond: number;
  concurrency: number;
  timeBudgetMs: number;
  /** A request without an answer after this long counts as a hang. */
  requestTimeoutMs: number;
  attemptsPerOrder: number;
  /** Sent as Grpc-Timeout on every order: the client's own deadline. */
  grpcTimeout?: string;
  out: string;
}

/** One HTTP exchange as the client saw it. */
export interface Attempt {
  kind: "order" | "erase-order" | "erase";
  index: number;
  key: string;
  attempt: number;
  /** 0: connection error; -1: no answer within requestTimeoutMs (a hang). */
  status: number;
  ms: number;
  at: number;
  orderId?: string;
  orderStatus?: string;
  /** google.rpc.Status of an error answer, when its body was one. */
  code?: number;
  message?: string;
  /** The error answer's body was JSON with a numeric code and a string message. */
  jsonStatus?: boolean;
  /** Anything in the body that looks like a stack trace or a source path. */
  stackLike?: boolean;
  /** An internal address, socket error or nested error text in the body. */
  internals?: boolean;
  error?: string;
}

const STACK = /\n\s+at\s|\.ts:\d+|\.js:\d+|node_modules/;
const INTERNALS = /\d{1,3}(\.\d{1,3}){3}:\d+|ECONNREFUSED|ECONNRESET|Error:\s/;

function paymentToken(i: number): string {
  if (i % 10 === 7) return "tok_decline";
  if (i % 10 === 9) return "tok_error";
  return "tok_approve";
}

async function exchange(
  config: LoadConfig,
  base: Omit<Attempt, "status" | "ms" | "at">,
  init: { method: string; path: string; token: string; body: unknown; key?: string },
): Promise<Attempt> {
  const at = Date.now();
  const record: Attempt = { ...base, status: 0, ms: 0, at };
  try {
    const response = await fetch(`${config.gatewayUrl}${init.path}`, {
      method: init.method,
      headers: {
        authorization: `Bearer ${init.token}`,
        "content-type": "application/json",
        ...(init.key ? { "idempotency-key": init.key } : {}),
        ...(config.grpcTimeout ? { "grpc-timeout": config.grpcTimeout } : {}),
      },
      body: JSON.stringify(init.body),
      signal: AbortSignal.timeout(config.requestTimeoutMs),
    });
    const text = await response.text();
    record.status = response.status;
    let json: Record<string, unknown> | undefined;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      json = undefined;
    }
    if (response.status === 200) {
      const order = json?.order as { id?: string; status?: string } | undefined;
      if (order?.id) record.orderId = order.id;
      if (order?.status) record.orderStatus = order.status;
    } else {
      record.jsonStatus = typeof json?.code === "number" && typeof json?.message === "string";
      if (record.jsonStatus) {
        record.code = json!.code as number;
        record.message = json!.message as string;
      }
      record.stackLike = STACK.test(text);
      record.internals = INTERNALS.test(text);
    }
  } catch (error) {
    const name = (error as Error).name;
    record.status = name === "TimeoutError" || name === "AbortError" ? -1 : 0;
    record.error = (error as Error).message;
  }
  record.ms = Date.now() - at;
  appendFileSync(config.out, `${JSON.stringify(record)}\n`);
  return record;
}

/** Places one order, retrying with the same key while the answer is an error. */
async function placeOrder(config: LoadConfig, i: number, deadline: number): Promise<void> {
  const key = `${config.runId}-${i}`;
  const token = config.users[i % config.users.length]!.token;
  const body = {
    productId: config.productIds[i % config.productIds.length],
    quantity: 1 + (i % 2),
    paymentToken: paymentToken(i),
  };
  for (let attempt = 1; attempt <= config.attemptsPerOrder; attempt++) {
    const result = await exchange(
      config,
      { kind: "order", index: i, key, attempt },
      { method: "POST", path: "/api/orders", token, body, key },
    );
    if (result.status === 200 || (result.status >= 400 && result.status < 500)) return;
    if (Date.now() + 500 * attempt > deadline) return;
    await sleep(500 * attempt);
  }
}

export async function runLoad(config: LoadConfig): Promise<void> {
  const host = new URL(config.gatewayUrl).hostname;
  if (!["127.0.0.1", "localhost", "::1", "[::1]"].includes(host)) {
    throw new Error(`the load generator only targets loopback, not ${host}`);
  }
  const started = Date.now();
  const deadline = started + config.timeBudgetMs;
  const intervalMs = 1000 / config.ordersPerSecond;
  let next = 0;
  const worker = async () => {
    while (next < config.orders && Date.now() < deadline) {
      const i = next++;
      // Paced: order i starts no earlier than i intervals after the start.
      const wait = started + i * intervalMs - Date.now();
      if (wait > 0) await sleep(wait);
      if (Date.now() >= deadline) return;
      await placeOrder(config, i, deadline);
    }
  };
  await Promise.all(Array.from({ length: config.concurrency }, worker));
}

if (require.main === module) {
  const config = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as LoadConfig;
  runLoad(config).then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}

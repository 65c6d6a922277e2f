/**
 * What the load generator's client saw, held against the orders database: every
 * acknowledged order exists and has reached a final state, no Idempotency-Key named
 * two orders, and every error answer was a clean 503/504 JSON Status, never a hang or
 * a 500 with a stack.
 */
import type { TestMesh } from "../../support/test-mesh";
import type { Attempt } from "./load-generator";
import { sql } from "./sql";

export interface OrderFigures {
  /** Orders the generator started (distinct keys). */
  attempted: number;
  /** Keys that got a 200 with an order id. */
  acknowledged: number;
  /** Orders created for a key the client never saw acknowledged (it gave up). */
  createdUnacknowledged: number;
  /** Final status of the acknowledged orders, by status. */
  finalStates: Record<string, number>;
  /** Error answers by HTTP status (0: connection error, -1: no answer in time). */
  errors: Record<string, number>;
  /** Keys that needed more than one attempt. */
  retried: number;
  /** Error answers whose message showed an internal address or socket error. */
  leakyErrors: number;
}

export interface OrderCheck {
  figures: OrderFigures;
  violations: string[];
}

const FINAL = new Set(["CONFIRMED", "CANCELLED", "FAILED"]);
/** The only errors a fault may cause: the dependency is down, or the deadline fired. */
const FAULT_STATUSES = new Set([503, 504]);

/** Answers the client saw: error statuses allowed besides 503/504 for this scenario. */
export function checkAnswers(attempts: readonly Attempt[], allowed: readonly number[] = []) {
  const errors: Record<string, number> = {};
  const violations: string[] = [];
  for (const a of attempts) {
    if (a.status === 200) continue;
    errors[a.status] = (errors[a.status] ?? 0) + 1;
    const where = `${a.kind} ${a.key} attempt ${a.attempt}`;
    if (a.status === -1) violations.push(`${where}: no answer within the client's timeout`);
    else if (a.status === 0) violations.push(`${where}: connection error ${a.error ?? ""}`);
    else if (!FAULT_STATUSES.has(a.status) && !allowed.includes(a.status)) {
      violations.push(`${where}: HTTP ${a.status} ${a.message ?? ""}`);
    }
    if (a.status > 0 && !a.jsonStatus) violations.push(`${where}: error body is not a JSON Status`);
    if (a.stackLike) {
      violations.push(`${where}: error body has a stack trace: ${(a.message ?? "").slice(0, 300)}`);
    }
  }
  return { errors, violations };
}

export async function checkOrders(
  mesh: TestMesh,
  runId: string,
  attempts: readonly Attempt[],
  allowedStatuses: readonly number[] = [],
): Promise<OrderCheck> {
  const orders = attempts.filter((a) => a.kind === "order");
  const byKey = new Map<string, Attempt[]>();
  for (const a of orders) byKey.set(a.key, [...(byKey.get(a.key) ?? []), a]);
  const { errors, violations } = checkAnswers(attempts, allowedStatuses);

  const acknowledged = new Map<string, string>();
  for (const [key, list] of byKey) {
    const ids = new Set(list.filter((a) => a.orderId).map((a) => a.orderId!));
    if (ids.size > 1) violations.push(`key ${key} was answered with orders ${[...ids].join(", ")}`);
    const [id] = ids;
    if (id) acknowledged.set(key, id);
  }

  const url = mesh.databases["order-service"]!.url;
  const ids = [...acknowledged.values()];
  const rows = await sql<{ id: string; status: string; saga_step: string }>(
    url,
    "SELECT id::text, status, saga_step FROM orders WHERE id = ANY($1::uuid[])",
    [ids],
  );
  const found = new Map(rows.map((r) => [r.id, r]));
  const finalStates: Record<string, number> = {};
  for (const [key, id] of acknowledged) {
    const row = found.get(id);
    if (!row) {
      violations.push(`acknowledged order ${id} (key ${key}) does not exist`);
      continue;
    }
    finalStates[row.status] = (finalStates[row.status] ?? 0) + 1;
    if (!FINAL.has(row.status) || row.saga_step !== "DONE") {
      violations.push(`order ${id} is ${row.status} at saga step ${row.saga_step} after recovery`);
    }
  }
  // Keys of this run that created an order the client never saw (it gave up on them).
  const created = await sql<{ key: string; status: string }>(
    url,
    `SELECT k.key, o.status FROM idempotency_keys k JOIN orders o ON o.id = k.order_id
      WHERE k.key LIKE $1`,
    [`${runId}-%`],
  );
  let createdUnacknowledged = 0;
  for (const row of created) {
    if (acknowledged.has(row.key)) continue;
    createdUnacknowledged++;
    if (!FINAL.has(row.status))
      violations.push(`unacknowledged order of ${row.key} is ${row.status}`);
  }
  return {
    figures: {
      attempted: byKey.size,
      acknowledged: acknowledged.size,
      createdUnacknowledged,
      finalStates,
      errors,
      retried: [...byKey.values()].filter((list) => list.length > 1).length,
      leakyErrors: attempts.filter((a) => a.internals).length,
    },
    violations,
  };
}

/** Resolves once no order is PENDING or mid-saga (recovery has run), or after `timeoutMs`. */
export async function unfinishedOrders(mesh: TestMesh): Promise<number> {
  const [row] = await sql<{ n: string }>(
    mesh.databases["order-service"]!.url,
    "SELECT count(*)::text AS n FROM orders WHERE status = 'PENDING' OR saga_step <> 'DONE'",
  );
  return Number(row?.n ?? 0);
}

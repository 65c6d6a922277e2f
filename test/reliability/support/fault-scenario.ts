/**
 * One fault scenario: orders under load from the load generator's process, the fault
 * injected once some orders went through, then, once the load ended and recovery had
 * its chance, every invariant checked and printed with its counts.
 */
import { randomBytes } from "node:crypto";
import { appendFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import type { TestMesh } from "../../support/test-mesh";
import { eraseAccounts } from "./erasures";
import { checkEvents, type EventFigures, eventBacklog } from "./event-invariants";
import type { Attempt } from "./load-generator";
import { startLoad } from "./load-run";
import { type Account, register, unhealthyProcesses } from "./mesh-client";
import { checkOrders, type OrderFigures, unfinishedOrders } from "./order-invariants";
import type { ReliabilityProfile } from "./reliability-profile";
import type { SecretLedger } from "./secret-scan";
import { checkStock, stockBaseline } from "./stock-invariants";

export interface FaultContext {
  mesh: TestMesh;
  profile: ReliabilityProfile;
  customers: Account[];
  productIds: string[];
  /** Where the accounts the scenario registers are recorded for the secret scan. */
  secrets: SecretLedger;
}

export interface FaultSpec {
  name: string;
  /**
   * Breaks something and repairs it while the load runs; calls `erase()` (once) while
   * the fault lasts so a UserDeleted event has to get through it.
   */
  inject(helpers: { erase(): Promise<void> }): Promise<void>;
  /** Error statuses this fault may legitimately cause besides 503 and 504. */
  allowedStatuses?: number[];
  /** Accounts erased during the fault (UserDeleted across the bus); default 2. */
  erasures?: number;
  /** The client's deadline on every order (Grpc-Timeout), e.g. "1500m". */
  grpcTimeout?: string;
}

export interface ScenarioReport {
  name: string;
  orders: OrderFigures;
  events: EventFigures;
  stock: { products: number; conserved: number; unitsSold: number };
  settleMs: number;
  /** Sagas order-service's recovery loop took over during the scenario. */
  sagasRecovered: number;
  unhealthy: string[];
  violations: string[];
  /** Every exchange of the load generator (not written to the report file). */
  attempts: Attempt[];
}

const SETTLE_TIMEOUT_MS = 75_000;

/** Waits until no saga is unfinished and no event is in flight; resolves how long it took. */
async function settle(mesh: TestMesh): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < SETTLE_TIMEOUT_MS) {
    const unfinished = await unfinishedOrders(mesh).catch(() => -1);
    const backlog = await eventBacklog(mesh).catch(() => undefined);
    if (unfinished === 0 && backlog?.unpublished === 0 && backlog.groupBacklog === 0) break;
    await sleep(500);
  }
  return Date.now() - started;
}

export async function runFaultScenario(
  context: FaultContext,
  spec: FaultSpec,
): Promise<ScenarioReport> {
  const { mesh, profile } = context;
  const erasing = await Promise.all(
    Array.from({ length: spec.erasures ?? 2 }, () => register(mesh, { secrets: context.secrets })),
  );
  const baseline = await stockBaseline(mesh);
  const recoveredBefore = sagasRecovered(mesh);
  const runId = `${spec.name.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}-${randomBytes(3).toString("hex")}`;
  const load = startLoad({
    gatewayUrl: mesh.gatewayUrl,
    runId,
    users: context.customers.map((c) => ({ token: c.accessToken })),
    productIds: context.productIds,
    orders: profile.ordersPerRun,
    ordersPerSecond: profile.ordersPerSecond,
    concurrency: profile.loadConcurrency,
    timeBudgetMs: profile.loadRunMs,
    requestTimeoutMs: 15_000,
    attemptsPerOrder: 4,
    ...(spec.grpcTimeout ? { grpcTimeout: spec.grpcTimeout } : {}),
  });
  let attempts: Attempt[];
  let erasure: Promise<Awaited<ReturnType<typeof eraseAccounts>>> | undefined;
  try {
    await load.untilAcknowledged(3);
    await spec.inject({
      erase: async () => {
        erasure ??= eraseAccounts(mesh, erasing, context.productIds[0]!);
      },
    });
    const erasures = await (erasure ?? eraseAccounts(mesh, erasing, context.productIds[0]!));
    attempts = [...(await load.finished()), ...erasures.attempts];
  } catch (error) {
    load.abort();
    throw error;
  }
  const settleMs = await settle(mesh);
  const unfinished = await unfinishedOrders(mesh);
  const unhealthy = await unhealthyProcesses(mesh);
  const erased = erasing
    .filter((_, n) => attempts.some((a) => a.kind === "erase" && a.index === n && a.status === 200))
    .map((account) => account.id);
  const orders = await checkOrders(mesh, runId, attempts, spec.allowedStatuses);
  const stock = await checkStock(mesh, baseline);
  const events = await checkEvents(mesh, erased);
  const report: ScenarioReport = {
    name: spec.name,
    orders: orders.figures,
    events: events.figures,
    stock: stock.figures,
    settleMs,
    sagasRecovered: sagasRecovered(mesh) - recoveredBefore,
    unhealthy,
    violations: [
      ...orders.violations,
      ...stock.violations,
      ...events.violations,
      ...unhealthy.map((u) => `not healthy after the fault: ${u}`),
      ...(unfinished > 0 ? [`${unfinished} orders still PENDING or mid-saga after recovery`] : []),
    ],
    attempts,
  };
  printReport(report);
  return report;
}

function sagasRecovered(mesh: TestMesh): number {
  return mesh.logs("order-service").filter((line) => line.message === "saga recovered").length;
}

/** One block per scenario on stdout, and a JSON line in CHAOS_REPORT_FILE when set. */
export function printReport(report: ScenarioReport): void {
  const o = report.orders;
  const e = report.events;
  const states = Object.entries(o.finalStates)
    .map(([s, n]) => `${s} ${n}`)
    .join(", ");
  const errors = Object.entries(o.errors)
    .map(([s, n]) => `${s}x${n}`)
    .join(" ");
  const lines = [
    `[reliability] ${report.name}`,
    `  orders: attempted ${o.attempted}, acknowledged ${o.acknowledged} (${states || "none"}), created but unacknowledged ${o.createdUnacknowledged}, retried ${o.retried}, error answers ${errors || "none"} (${o.leakyErrors} showing internal addresses)`,
    `  events: written ${e.written}, published ${e.published}, in stream ${e.inStream} (+${e.duplicateEntries} duplicate entries), groups ${e.groups} backlog ${e.groupBacklog}, UserDeleted applied ${e.userDeletedApplied}/${e.userDeleted}`,
    `  stock: conserved ${report.stock.conserved}/${report.stock.products} products, ${report.stock.unitsSold} units sold; ${report.sagasRecovered} sagas recovered; settled in ${report.settleMs} ms; unhealthy: ${report.unhealthy.length}`,
    `  invariant violations: ${report.violations.length}`,
    ...report.violations.slice(0, 20).map((v) => `    - ${v}`),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  if (process.env.CHAOS_REPORT_FILE) {
    const { attempts: _omitted, ...figures } = report;
    appendFileSync(process.env.CHAOS_REPORT_FILE, `${JSON.stringify(figures)}\n`);
  }
}

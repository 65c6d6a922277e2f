/**
 * The budget in force for a service and, for request budgets, a scenario: the shared
 * budget, tightened by the service's policy, then the scenario's reasoned exception
 * (register and login add the password-hash cost).
 *
 * A manifest scenario key is a recorded scenario (`product-catalog`: all its variants)
 * or one variant of it (`gateway-vs-direct/direct-grpc`), which the variant then follows
 * instead: a comparison's baseline often measures another service than its subject.
 */
import type { EffectiveMesh, EffectiveService } from "../model/effective-types";
import type { BudgetMode, BudgetName, BudgetSpec } from "../policy/types";
import { BUDGET_METRICS, boundOf } from "./budget-catalog";

export interface BudgetInForce {
  name: BudgetName;
  mode: BudgetMode;
  /** In the metric's unit (ms for latency and startup). */
  bound: number;
  at?: "reference" | "high";
  reason?: string;
}

/** Budgets measured on a scenario's requests; the rest are measured per process. */
export const REQUEST_BUDGETS: readonly BudgetName[] = [
  "latencyP95",
  "latencyP95High",
  "errorRate",
  "availability",
  "throughput",
];
export const PROCESS_BUDGETS = [
  "startup",
  "startupTarget",
  "memory",
  "memoryTarget",
  "cpu",
] as const satisfies readonly BudgetName[];
export type ProcessBudgetName = (typeof PROCESS_BUDGETS)[number];

export function budgetInForce(
  mesh: EffectiveMesh,
  service: EffectiveService,
  name: BudgetName,
  scenario?: string,
): BudgetInForce | undefined {
  const shared = mesh.budgets[name];
  if (!shared) return undefined;
  const exception = scenario ? mesh.scenarios[scenario]?.budgets?.[name] : undefined;
  // A budget kept to some services (throughput: the gateway) still holds for a scenario
  // of another service that states its own (order-create's orders per second).
  if (shared.services && !shared.services.includes(service.name) && !exception) return undefined;
  const base: BudgetSpec = { ...shared, ...service.budgets[name] };
  const spec: BudgetSpec = { ...base, ...exception };
  let bound = boundOf(name, spec);
  if (bound === undefined) return undefined;
  if (exception?.passwordHashes && BUDGET_METRICS[name].unit === "ms")
    bound =
      (boundOf(name, exception) ?? boundOf(name, base)!) +
      exception.passwordHashes * mesh.passwordHashCostMs;
  return {
    name,
    mode: spec.mode ?? "gate",
    bound,
    ...(spec.at ? { at: spec.at } : {}),
    ...(exception?.reason ? { reason: exception.reason } : {}),
  };
}

/** The scenarios of the manifest that measure `service`, sorted. */
export function scenariosOf(mesh: EffectiveMesh, service: string): string[] {
  return Object.entries(mesh.scenarios)
    .filter(([, s]) => s.service === service)
    .map(([name]) => name)
    .sort();
}

/**
 * The manifest scenario a recorded variant answers to: `<scenario>/<variant>` when the
 * manifest declares that variant on its own, else `<scenario>`, else undefined.
 */
export function scenarioKeyOf(
  mesh: EffectiveMesh,
  scenario: string,
  variant: string,
): string | undefined {
  const own = `${scenario}/${variant}`;
  if (mesh.scenarios[own]) return own;
  return mesh.scenarios[scenario] ? scenario : undefined;
}

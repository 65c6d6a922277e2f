/**
 * Recorded benchmark results (bench/results/*.json, read with the harness's own
 * schema) against the budgets in force: one row per service, budget and scope, each
 * met, missed or unmeasured. Only a missed gate fails.
 */
import type {
  ProcessUsageSummary,
  RunResult,
  ScenarioResult,
  VariantResult,
} from "../../../../bench/harness/results";
import type { EffectiveRepo, EffectiveService } from "../model/effective-types";
import type { BudgetMode, BudgetName } from "../policy/types";
import { BUDGET_METRICS } from "./budget-catalog";
import {
  budgetInForce,
  PROCESS_BUDGETS,
  type ProcessBudgetName,
  REQUEST_BUDGETS,
  scenarioKeyOf,
  scenariosOf,
} from "./effective-budgets";

export interface BudgetRow {
  service: string;
  budget: BudgetName;
  /** `user-register/register @4`, or `all scenarios` for a process budget. */
  scope: string;
  mode: BudgetMode;
  bound: number;
  measured?: number;
  status: "met" | "missed" | "unmeasured";
  note?: string;
}

export interface BudgetReport {
  rows: BudgetRow[];
  /** Recorded `scenario/variant`s the manifest declares neither on its own nor by scenario. */
  undeclared: string[];
  gateMissed: boolean;
}

/** Server-side failures: what availability counts (client errors are the caller's). */
const SERVER_FAILURE = /^(5\d\d|UNAVAILABLE|INTERNAL|UNKNOWN|DEADLINE_EXCEEDED|DATA_LOSS)$/;

function metric(name: BudgetName, run: RunResult): number {
  const requests = Math.max(run.requests, 1);
  switch (name) {
    case "latencyP95":
    case "latencyP95High":
      return run.latencyMs.p95;
    case "errorRate":
      return (run.errors.total / requests) * 100;
    case "availability": {
      const failed =
        run.errors.socket +
        run.errors.timeouts +
        Object.entries(run.errors.byStatus)
          .filter(([status]) => SERVER_FAILURE.test(status))
          .reduce((sum, [, n]) => sum + n, 0);
      return 100 - (failed / requests) * 100;
    }
    default:
      return run.rps;
  }
}

/** The worst value for the budget (the best, for throughput: can the target be reached). */
function aggregate(name: BudgetName, values: number[]): number {
  if (name === "throughput") return Math.max(...values);
  return BUDGET_METRICS[name].direction === "max" ? Math.max(...values) : Math.min(...values);
}

function status(name: BudgetName, bound: number, measured: number): "met" | "missed" {
  const over = BUDGET_METRICS[name].direction === "max" ? measured > bound : measured < bound;
  return over ? "missed" : "met";
}

function runsAt(runs: RunResult[], at: "reference" | "high" | undefined, reference: number) {
  if (at === "reference") return runs.filter((r) => r.concurrency === reference);
  if (at === "high") return runs.filter((r) => r.concurrency > reference);
  return runs;
}

/** The recorded variants a manifest scenario key covers (none when not recorded). */
function variantsOf(
  repo: EffectiveRepo,
  key: string,
  results: ScenarioResult[],
): { result?: ScenarioResult; variants: VariantResult[] } {
  const slash = key.indexOf("/");
  const scenario = slash < 0 ? key : key.slice(0, slash);
  const result = results.find((r) => r.scenario === scenario);
  if (!result) return { variants: [] };
  return {
    result,
    variants: result.variants.filter(
      (v) => scenarioKeyOf(repo.mesh, result.scenario, v.name) === key,
    ),
  };
}

function requestRows(
  repo: EffectiveRepo,
  service: EffectiveService,
  results: ScenarioResult[],
): BudgetRow[] {
  const rows: BudgetRow[] = [];
  const scenarios = scenariosOf(repo.mesh, service.name);
  for (const name of REQUEST_BUDGETS)
    for (const key of scenarios) {
      const budget = budgetInForce(repo.mesh, service, name, key);
      if (!budget) continue;
      const reference = repo.mesh.scenarios[key]!.referenceConcurrency;
      const base = { service: service.name, budget: name, mode: budget.mode, bound: budget.bound };
      const where =
        budget.at === "reference" ? ` @${reference}` : budget.at === "high" ? ` >${reference}` : "";
      const { result, variants } = variantsOf(repo, key, results);
      if (variants.length === 0) {
        rows.push({
          ...base,
          scope: `${key}${where}`,
          status: "unmeasured",
          note: result ? "no such variant recorded" : "no recorded result",
        });
        continue;
      }
      for (const variant of variants) {
        const runs = runsAt(variant.runs, budget.at, reference);
        const scope = `${result!.scenario}/${variant.name}${where}`;
        if (runs.length === 0) {
          rows.push({ ...base, scope, status: "unmeasured", note: "no run at that concurrency" });
          continue;
        }
        const measured = aggregate(
          name,
          runs.map((r) => metric(name, r)),
        );
        rows.push({ ...base, scope, measured, status: status(name, budget.bound, measured) });
      }
    }
  return rows;
}

/** The recorded process figure each process budget reads; a target reads its gate's. */
const PROCESS_MEASURES: Record<ProcessBudgetName, Exclude<keyof ProcessUsageSummary, "name">> = {
  startup: "startupMs",
  startupTarget: "startupMs",
  memory: "peakRssMb",
  memoryTarget: "peakRssMb",
  cpu: "cpuPercent",
};

function processRows(
  repo: EffectiveRepo,
  service: EffectiveService,
  results: ScenarioResult[],
): BudgetRow[] {
  const rows: BudgetRow[] = [];
  for (const name of PROCESS_BUDGETS) {
    const budget = budgetInForce(repo.mesh, service, name);
    if (!budget) continue;
    const measure = PROCESS_MEASURES[name];
    const values: number[] = [];
    for (const result of results) {
      // Cold start is also recorded once per result, outside the runs.
      if (measure === "startupMs")
        values.push(
          ...result.processes.filter((p) => p.name === service.name).map((p) => p.startupMs),
        );
      for (const variant of result.variants) {
        const key = scenarioKeyOf(repo.mesh, result.scenario, variant.name);
        const reference = key ? repo.mesh.scenarios[key]!.referenceConcurrency : undefined;
        for (const run of variant.runs) {
          if (budget.at === "reference" && run.concurrency !== reference) continue;
          for (const p of run.processes.filter((p) => p.name === service.name)) {
            const value = p[measure];
            if (value !== null) values.push(value);
          }
        }
      }
    }
    const base = {
      service: service.name,
      budget: name,
      mode: budget.mode,
      bound: budget.bound,
      scope: "all scenarios",
    };
    if (values.length === 0)
      rows.push({ ...base, status: "unmeasured", note: "no recorded process" });
    else {
      const measured = Math.max(...values);
      rows.push({ ...base, measured, status: status(name, budget.bound, measured) });
    }
  }
  return rows;
}

export function evaluateBudgets(repo: EffectiveRepo, results: ScenarioResult[]): BudgetReport {
  const rows = repo.services.flatMap((s) => [
    ...requestRows(repo, s, results),
    ...processRows(repo, s, results),
  ]);
  return {
    rows,
    undeclared: results.flatMap((r) =>
      r.variants
        .filter((v) => scenarioKeyOf(repo.mesh, r.scenario, v.name) === undefined)
        .map((v) => `${r.scenario}/${v.name}`),
    ),
    gateMissed: rows.some((r) => r.mode === "gate" && r.status === "missed"),
  };
}

/**
 * The budgets the manifest may declare: which field holds each bound, its unit, and
 * whether a smaller or a larger number is the stricter one. Validation uses it to refuse
 * loosened overrides; `govern budgets` uses it to measure gaps.
 */
import { durationMs } from "../policy/duration";
import type { BudgetName, BudgetSpec } from "../policy/types";

export interface BudgetMetric {
  field: "max" | "maxPercent" | "minPercent" | "maxMb" | "minRps";
  /** `max`: the result must stay at or below the bound; `min`: at or above. */
  direction: "max" | "min";
  unit: "ms" | "%" | "MB" | "req/s";
  label: string;
}

/**
 * A name holds one spec, so a gate and a stricter target on the same measurement take two
 * names: `latencyP95High`, `startupTarget` and `memoryTarget` measure what the budget
 * above them does, with a bound and a mode of their own.
 */
export const BUDGET_METRICS: Record<BudgetName, BudgetMetric> = {
  latencyP95: { field: "max", direction: "max", unit: "ms", label: "p95 latency (reference)" },
  latencyP95High: { field: "max", direction: "max", unit: "ms", label: "p95 latency (high)" },
  errorRate: { field: "maxPercent", direction: "max", unit: "%", label: "error rate" },
  availability: { field: "minPercent", direction: "min", unit: "%", label: "availability" },
  throughput: { field: "minRps", direction: "min", unit: "req/s", label: "throughput" },
  startup: { field: "max", direction: "max", unit: "ms", label: "startup" },
  startupTarget: { field: "max", direction: "max", unit: "ms", label: "startup (target)" },
  memory: { field: "maxMb", direction: "max", unit: "MB", label: "peak memory" },
  memoryTarget: { field: "maxMb", direction: "max", unit: "MB", label: "peak memory (target)" },
  cpu: { field: "maxPercent", direction: "max", unit: "%", label: "CPU" },
};

export const BUDGET_NAMES = Object.keys(BUDGET_METRICS) as BudgetName[];

/** The bound of `spec` in the metric's unit (durations in ms), if it states one. */
export function boundOf(name: BudgetName, spec: BudgetSpec | undefined): number | undefined {
  const value = spec?.[BUDGET_METRICS[name].field];
  if (value === undefined) return undefined;
  return typeof value === "string" ? durationMs(value) : value;
}

/** True when `bound` is looser than `base` for this budget. */
export function isLooser(name: BudgetName, bound: number, base: number): boolean {
  return BUDGET_METRICS[name].direction === "max" ? bound > base : bound < base;
}

export function formatBound(name: BudgetName, value: number): string {
  const { unit } = BUDGET_METRICS[name];
  if (unit === "ms" && value >= 1000) return `${Number((value / 1000).toFixed(2))} s`;
  return `${Number(value.toFixed(2))} ${unit}`;
}

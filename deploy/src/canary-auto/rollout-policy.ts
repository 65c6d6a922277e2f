/**
 * How make canary-auto rolls a canary out: the weights it steps through, how long it
 * watches each, and the gates the canary must pass at every step.
 *
 * A policy's `rollout` block decides (its schema is governance's; until it exists the
 * block is read as written, so adding it needs no change here):
 *
 *   rollout:
 *     steps: [10, 25, 50]   # canary weights, each held for one interval, then promote
 *     interval: 1m          # the analysis window of a step
 *     minRequests: 20       # fewer calls in a window prove nothing: the window repeats
 *     gates:
 *       successRate: 99     # percent of calls without a server-side failure
 *       latencyP95: 200ms
 *
 * Without it, the gates are the service's budgets in force (govern's effective policy):
 * success rate = 100 - the errorRate gate's maxPercent, p95 latency = the loosest
 * latencyP95 of the service's scenarios (user-service's include a password hash).
 */

import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { parseDurationMs } from "@shop/libs/config";
import { parse } from "yaml";
import { budgetInForce, scenariosOf } from "../../../tools/govern/src/budgets/effective-budgets";
import { loadEffective } from "../../../tools/govern/src/model/load-effective";
import { policyFile } from "../policy-versions";

export interface RolloutPolicy {
  steps: number[];
  intervalMs: number;
  minRequests: number;
  /** Windows in a row without enough calls before the canary is rolled back. */
  maxInconclusive: number;
  gates: { minSuccessPercent: number; maxLatencyP95Ms: number };
  /** Where each setting came from, for the printed plan. */
  sources: Record<"steps" | "interval" | "minRequests" | "successRate" | "latencyP95", string>;
}

export const DEFAULT_STEPS = [10, 25, 50];
export const DEFAULT_INTERVAL_MS = 60_000;
export const DEFAULT_MIN_REQUESTS = 20;
export const MAX_INCONCLUSIVE = 3;

export class RolloutPolicyError extends Error {}

export interface RolloutBlock {
  steps?: unknown;
  interval?: unknown;
  minRequests?: unknown;
  gates?: { successRate?: unknown; latencyP95?: unknown };
}

function checkedSteps(value: unknown, where: string): number[] {
  const steps = value as number[];
  const ok =
    Array.isArray(steps) &&
    steps.length > 0 &&
    steps.every(
      (w, i) => Number.isInteger(w) && w > 0 && w <= 100 && (i === 0 || w > steps[i - 1]!),
    );
  if (!ok) throw new RolloutPolicyError(`${where}: steps must be rising weights from 1 to 100`);
  return steps;
}

/** The gates the budgets give `service`, with their sources. */
export function gatesFromBudgets(root: string, service: string): BudgetGates {
  const result = loadEffective(root);
  if (!result.ok)
    throw new RolloutPolicyError("the policies do not validate: run npx govern validate");
  const { mesh, services } = result.repo;
  const svc = services.find((s) => s.name === service);
  if (!svc) throw new RolloutPolicyError(`no policy for ${service}`);
  const errorRate = budgetInForce(mesh, svc, "errorRate");
  const scenarios = scenariosOf(mesh, service);
  const latencies = (scenarios.length ? scenarios : [undefined])
    .map((scenario) => budgetInForce(mesh, svc, "latencyP95", scenario)?.bound)
    .filter((b): b is number => b !== undefined);
  if (!errorRate || latencies.length === 0)
    throw new RolloutPolicyError(`${service} has no errorRate or latencyP95 budget to gate on`);
  return {
    minSuccessPercent: 100 - errorRate.bound,
    maxLatencyP95Ms: Math.max(...latencies),
    successSource: `budget errorRate ${errorRate.bound}% (${mesh.manifestFile}, ${svc.file})`,
    latencySource: `budget latencyP95 ${Math.max(...latencies)} ms${scenarios.length ? ` (loosest of scenarios ${scenarios.join(", ")})` : ""}`,
  };
}

/** The gates the budgets give a service, and where they come from. */
export interface BudgetGates {
  minSuccessPercent: number;
  maxLatencyP95Ms: number;
  successSource: string;
  latencySource: string;
}

/** The rollout a policy's `rollout` block (or its absence) gives; `file` names it in errors. */
export function rolloutFromBlock(
  block: RolloutBlock | undefined,
  budgets: BudgetGates,
  file: string,
): RolloutPolicy {
  const where = `${file}: rollout`;
  const interval =
    block?.interval === undefined ? undefined : parseDurationMs(String(block.interval));
  if (block?.interval !== undefined && !interval)
    throw new RolloutPolicyError(`${where}.interval: expected a duration like 1m`);
  const latency =
    block?.gates?.latencyP95 === undefined
      ? undefined
      : parseDurationMs(String(block.gates.latencyP95));
  if (block?.gates?.latencyP95 !== undefined && latency === undefined)
    throw new RolloutPolicyError(`${where}.gates.latencyP95: expected a duration like 200ms`);
  const success = block?.gates?.successRate;
  if (success !== undefined && !(typeof success === "number" && success > 0 && success <= 100))
    throw new RolloutPolicyError(`${where}.gates.successRate: expected a percentage`);
  const minRequests = block?.minRequests;
  if (minRequests !== undefined && !(Number.isInteger(minRequests) && (minRequests as number) >= 0))
    throw new RolloutPolicyError(`${where}.minRequests: expected a whole number`);
  const own = (key: string) => `${file} rollout.${key}`;
  return {
    steps: block?.steps === undefined ? DEFAULT_STEPS : checkedSteps(block.steps, `${where}.steps`),
    intervalMs: interval ?? DEFAULT_INTERVAL_MS,
    minRequests: (minRequests as number | undefined) ?? DEFAULT_MIN_REQUESTS,
    maxInconclusive: MAX_INCONCLUSIVE,
    gates: {
      minSuccessPercent: (success as number | undefined) ?? budgets.minSuccessPercent,
      maxLatencyP95Ms: latency ?? budgets.maxLatencyP95Ms,
    },
    sources: {
      steps: block?.steps === undefined ? "default" : own("steps"),
      interval: interval === undefined ? "default" : own("interval"),
      minRequests: minRequests === undefined ? "default" : own("minRequests"),
      successRate: success === undefined ? budgets.successSource : own("gates.successRate"),
      latencyP95: latency === undefined ? budgets.latencySource : own("gates.latencyP95"),
    },
  };
}

/** The rollout of `service`: its policy's `rollout` block, else defaults and budgets. */
export function loadRolloutPolicy(root: string, service: string): RolloutPolicy {
  const file = policyFile(root, service);
  const block = (parse(readFileSync(file, "utf8")) as { rollout?: RolloutBlock }).rollout;
  return rolloutFromBlock(block, gatesFromBudgets(root, service), relative(root, file));
}

/**
 * The decisions of make canary-auto: step the canary's weight through the rollout
 * steps; after each step's window judge the canary; go on when it passes, roll back
 * when it fails or stays inconclusive too long, promote after the last step. The
 * actions (govern and kubectl through deploy/scripts/canary.sh) and the clock are
 * passed in, so the decisions are tested against recorded Prometheus answers.
 */
import { judgeWindow, type Verdict } from "./canary-gates";
import { type CanaryTarget, canaryQueries } from "./canary-queries";
import type { PrometheusClient } from "./prometheus-client";
import type { RolloutPolicy } from "./rollout-policy";

export interface RolloutActions {
  /** Deploy the canary and send it `weight`% (make canary). */
  start(weight: number): Promise<void>;
  /** Change the weights only. */
  setWeight(weight: number): Promise<void>;
  promote(): Promise<void>;
  rollback(): Promise<void>;
}

export interface RolloutDeps {
  prometheus: PrometheusClient;
  actions: RolloutActions;
  /** Waits one analysis window. */
  wait(ms: number): Promise<void>;
  log(line: string): void;
}

export interface RolloutResult {
  outcome: "promoted" | "rolled-back";
  /** The weight the decision was made at. */
  weight: number;
  verdicts: { weight: number; verdict: Verdict }[];
  reason?: string;
}

function describe(v: Verdict): string {
  const parts = [`${v.requests} calls`];
  if (v.successPercent !== undefined) parts.push(`success ${v.successPercent}%`);
  if (v.latencyP95Ms !== undefined) parts.push(`p95 ${v.latencyP95Ms} ms`);
  return `${v.outcome}: ${parts.join(", ")}${v.reasons.length ? ` (${v.reasons.join("; ")})` : ""}`;
}

export async function runCanaryRollout(
  target: CanaryTarget,
  policy: RolloutPolicy,
  deps: RolloutDeps,
  options: { canaryRunning: boolean },
): Promise<RolloutResult> {
  const queries = canaryQueries(target, policy.intervalMs);
  const verdicts: RolloutResult["verdicts"] = [];
  let started = options.canaryRunning;
  for (const weight of policy.steps) {
    deps.log(`step: ${target.service} ${target.version} at ${weight}%`);
    if (started) await deps.actions.setWeight(weight);
    else await deps.actions.start(weight);
    started = true;
    for (let attempt = 1; ; attempt++) {
      await deps.wait(policy.intervalMs);
      const verdict = await judgeWindow(deps.prometheus, queries, policy);
      verdicts.push({ weight, verdict });
      deps.log(`  window ${attempt}: ${describe(verdict)}`);
      if (verdict.outcome === "pass") break;
      if (verdict.outcome === "fail" || attempt >= policy.maxInconclusive) {
        const reason =
          verdict.outcome === "fail"
            ? verdict.reasons.join("; ")
            : `no conclusive window in ${attempt} tries: ${verdict.reasons.join("; ")}`;
        deps.log(`rolling back at ${weight}%: ${reason}`);
        await deps.actions.rollback();
        return { outcome: "rolled-back", weight, verdicts, reason };
      }
    }
  }
  const last = policy.steps.at(-1)!;
  deps.log(`every step passed: promoting ${target.service} ${target.version}`);
  await deps.actions.promote();
  return { outcome: "promoted", weight: last, verdicts };
}

/**
 * One analysis window of a canary: its calls, server-side failures and p95 latency from
 * Prometheus, judged against the gates. Too few calls is "inconclusive", never a pass:
 * a canary nobody called has proven nothing.
 */
import type { CanaryQueries } from "./canary-queries";
import type { PrometheusClient } from "./prometheus-client";
import type { RolloutPolicy } from "./rollout-policy";

export interface Verdict {
  outcome: "pass" | "fail" | "inconclusive";
  requests: number;
  successPercent?: number;
  latencyP95Ms?: number;
  /** Why it is not a pass; empty when it is. */
  reasons: string[];
}

const round = (n: number) => Math.round(n * 100) / 100;

export async function judgeWindow(
  prometheus: PrometheusClient,
  queries: CanaryQueries,
  policy: Pick<RolloutPolicy, "minRequests" | "gates">,
): Promise<Verdict> {
  const [requests = 0, errors = 0, latencyP95Ms] = await Promise.all([
    prometheus.scalar(queries.requests),
    prometheus.scalar(queries.errors),
    prometheus.scalar(queries.latencyP95Ms),
  ]);
  if (requests < Math.max(1, policy.minRequests)) {
    return {
      outcome: "inconclusive",
      requests: round(requests),
      reasons: [`${round(requests)} calls in the window, at least ${policy.minRequests} needed`],
    };
  }
  const successPercent = round(100 * (1 - Math.min(errors, requests) / requests));
  const reasons: string[] = [];
  const { minSuccessPercent, maxLatencyP95Ms } = policy.gates;
  if (successPercent < minSuccessPercent)
    reasons.push(`success rate ${successPercent}% is below ${minSuccessPercent}%`);
  if (latencyP95Ms === undefined) {
    return {
      outcome: reasons.length ? "fail" : "inconclusive",
      requests: round(requests),
      successPercent,
      reasons: [...reasons, "no latency histogram for the canary in the window"],
    };
  }
  if (latencyP95Ms > maxLatencyP95Ms)
    reasons.push(`p95 latency ${round(latencyP95Ms)} ms is above ${maxLatencyP95Ms} ms`);
  return {
    outcome: reasons.length ? "fail" : "pass",
    requests: round(requests),
    successPercent,
    latencyP95Ms: round(latencyP95Ms),
    reasons,
  };
}

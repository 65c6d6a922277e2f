/**
 * `tsx deploy/src/canary-auto/main.ts <service> <prometheus-url>` (make canary-auto
 * SERVICE=<service>, through deploy/scripts/canary-auto.sh): prints the plan, then
 * rolls the canary out with deploy/scripts/canary.sh as the hands. Exits 0 when the
 * canary was promoted, 1 when it was rolled back. DRY_RUN=1 prints the plan only.
 */
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { nextCanaryVersion, policyVersions } from "../policy-versions";
import { NAMESPACE } from "../secret-contract";
import { canaryQueries } from "./canary-queries";
import { runCanaryRollout } from "./canary-rollout";
import { createPrometheusClient } from "./prometheus-client";
import { loadRolloutPolicy } from "./rollout-policy";

const ROOT = resolve(__dirname, "..", "..", "..");

function canaryScript(args: string[]): Promise<void> {
  const result = spawnSync("bash", ["deploy/scripts/canary.sh", ...args], {
    cwd: ROOT,
    stdio: "inherit",
  });
  if (result.status !== 0)
    return Promise.reject(new Error(`canary.sh ${args.join(" ")} exited ${result.status}`));
  return Promise.resolve();
}

async function main(service: string, prometheusUrl: string): Promise<number> {
  const policy = loadRolloutPolicy(ROOT, service);
  const versions = policyVersions(ROOT, service);
  const canaryRunning = versions.length > 1;
  const version = canaryRunning ? versions[1]!.name : nextCanaryVersion(versions)!;
  const target = { namespace: NAMESPACE, service, version };
  const queries = canaryQueries(target, policy.intervalMs);
  const { gates, sources } = policy;
  console.log(`canary-auto: ${service} ${version}${canaryRunning ? " (running)" : ""}`);
  console.log(`  steps      ${policy.steps.join("% -> ")}% -> promote   [${sources.steps}]`);
  console.log(
    `  window     ${policy.intervalMs / 1000} s per step, at least ${policy.minRequests} calls   [${sources.interval}; ${sources.minRequests}]`,
  );
  console.log(
    `  gate       success rate >= ${gates.minSuccessPercent}%   [${sources.successRate}]`,
  );
  console.log(`  gate       p95 latency <= ${gates.maxLatencyP95Ms} ms   [${sources.latencyP95}]`);
  console.log(`  queries (${prometheusUrl}):`);
  for (const [name, query] of Object.entries(queries)) console.log(`    ${name}: ${query}`);
  if (process.env.DRY_RUN === "1") {
    const [first, ...rest] = policy.steps;
    console.log("  dry run; would run:");
    console.log(
      `    deploy/scripts/canary.sh ${canaryRunning ? "weight" : "canary"} ${service} ${first}`,
    );
    for (const w of rest) console.log(`    deploy/scripts/canary.sh weight ${service} ${w}`);
    console.log(
      `    deploy/scripts/canary.sh promote ${service}   (or rollback ${service} on a failed gate)`,
    );
    return 0;
  }
  const result = await runCanaryRollout(
    target,
    policy,
    {
      prometheus: createPrometheusClient(prometheusUrl),
      actions: {
        start: (weight) => canaryScript(["canary", service, String(weight)]),
        setWeight: (weight) => canaryScript(["weight", service, String(weight)]),
        promote: () => canaryScript(["promote", service]),
        rollback: () => canaryScript(["rollback", service]),
      },
      wait: (ms) => sleep(ms),
      log: (line) => console.log(line),
    },
    { canaryRunning },
  );
  console.log(
    `canary-auto: ${result.outcome} at ${result.weight}%${result.reason ? `: ${result.reason}` : ""}`,
  );
  return result.outcome === "promoted" ? 0 : 1;
}

const [service, prometheusUrl] = process.argv.slice(2);
if (!service || !prometheusUrl) {
  console.error("usage: main.ts <service> <prometheus-url>");
  process.exit(2);
}
main(service, prometheusUrl).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`canary-auto: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);

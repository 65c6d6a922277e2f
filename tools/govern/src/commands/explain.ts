/**
 * `govern explain <service>`: the effective policy, one value per line, each with where
 * it came from (the manifest's default, the service's policy, an RPC entry, or a rule
 * of the contracts).
 */

import { formatBound } from "../budgets/budget-catalog";
import {
  budgetInForce,
  PROCESS_BUDGETS,
  REQUEST_BUDGETS,
  scenariosOf,
} from "../budgets/effective-budgets";
import type { EffectiveMesh, EffectiveRetries, EffectiveService } from "../model/effective-types";
import { loadEffective } from "../model/load-effective";
import { formatDuration } from "../policy/duration";
import { type Command, printFindings, takeFlag } from "./command";

function retriesText(r: EffectiveRetries): string {
  if (r.attempts === 0) return "none";
  return `${r.attempts} x ${formatDuration(r.perTryTimeoutMs)} on ${r.retryOn.join(",")}`;
}

/** `[key, value, origin key]` lines of a service's effective policy. */
export function explainLines(s: EffectiveService): [string, string, string][] {
  const lines: [string, string, string][] = [
    ["owner", s.owner, "owner"],
    ["layer", s.layer, "layer"],
    ["mtls", s.mtls, "mtls"],
    ["egress", s.egress, "egress"],
    ["tracing.samplePercent", String(s.tracingSamplePercent), "tracing.samplePercent"],
    ["timeout", formatDuration(s.timeoutMs), "timeout"],
    ["retries.attempts", String(s.retries.attempts), "retries.attempts"],
    ["retries.perTryTimeout", formatDuration(s.retries.perTryTimeoutMs), "retries.perTryTimeout"],
    ["retries.retryOn", s.retries.retryOn.join(","), "retries.retryOn"],
  ];
  for (const [group, values] of [
    ["outlierDetection", s.outlierDetection],
    ["connectionPool", s.connectionPool],
    ["breaker", s.breaker],
  ] as const)
    for (const [k, v] of Object.entries(values)) {
      const key = k.replace(/Ms$/, "");
      const value = k.endsWith("Ms") ? formatDuration(v) : String(v);
      lines.push([`${group}.${key}`, value, `${group}.${key}`]);
    }
  lines.push(["versions", s.versions.map((v) => `${v.name} ${v.weight}%`).join(", "), "versions"]);
  for (const rpc of s.rpcs) {
    const k = `rpcs.${rpc.fact.name}`;
    lines.push([`${k}.access`, rpc.fact.access ?? "(none)", "contract"]);
    lines.push([`${k}.callers`, rpc.callers.join(", ") || "(nobody)", `${k}.callers`]);
    lines.push([
      `${k}.timeout`,
      rpc.timeoutMs === 0 ? "none" : formatDuration(rpc.timeoutMs),
      `${k}.timeout`,
    ]);
    lines.push([`${k}.retries`, retriesText(rpc.retries), `${k}.retries.attempts`]);
  }
  for (const d of s.dependencies.services)
    lines.push([`dependencies.${d.service}`, d.rpcs.join(", "), "dependencies"]);
  for (const f of s.faults)
    lines.push([
      `faults.${f.name}`,
      `${f.kind} on ${f.rpc.name}, ${f.percent}% when ${f.env}=1`,
      "faults",
    ]);
  return lines;
}

/** The budgets in force for a service, with the layer that set each one. */
export function budgetLines(mesh: EffectiveMesh, s: EffectiveService): [string, string, string][] {
  const lines: [string, string, string][] = [];
  const scopes: (string | undefined)[] = [undefined, ...scenariosOf(mesh, s.name)];
  for (const scenario of scopes)
    for (const name of scenario ? REQUEST_BUDGETS : PROCESS_BUDGETS) {
      const budget = budgetInForce(mesh, s, name, scenario);
      if (!budget) continue;
      const from = budget.reason
        ? `${mesh.manifestFile} (scenario ${scenario}: ${budget.reason.split(/[.;:(]/)[0]!.trim()})`
        : s.budgets[name]
          ? `${s.file} (tightened by the service)`
          : `${mesh.manifestFile} (shared budget)`;
      const at = budget.at ? ` at ${budget.at} concurrency` : "";
      const key = `budgets.${name}${scenario ? `@${scenario}` : ""}`;
      lines.push([key, `${budget.mode} ${formatBound(name, budget.bound)}${at}`, from]);
    }
  return lines;
}

export const explainCommand: Command = {
  name: "explain",
  usage: "govern explain <service> [--json]",
  summary: "print the effective merged policy of a service, each value with its origin",
  async run(ctx) {
    const json = takeFlag(ctx.args, "--json");
    const [name] = ctx.args;
    if (!name) {
      ctx.err(`usage: ${this.usage}`);
      return 2;
    }
    const result = loadEffective(ctx.root);
    if (!result.ok) {
      printFindings(ctx, result.findings);
      return 1;
    }
    const service = result.repo.services.find((s) => s.name === name);
    if (!service) {
      ctx.err(
        `govern: no policy for "${name}" (have ${result.repo.services.map((s) => s.name).join(", ")})`,
      );
      return 1;
    }
    const origin = (key: string) =>
      service.origins.get(key) ??
      (key === "contract"
        ? "proto (shop.options.v1.access)"
        : key.includes(" ")
          ? key // already an origin (budget lines)
          : service.file);
    const lines = [...explainLines(service), ...budgetLines(result.repo.mesh, service)];
    if (json) {
      ctx.out(
        JSON.stringify(
          lines.map(([key, value, from]) => ({ key, value, from: origin(from) })),
          null,
          2,
        ),
      );
      return 0;
    }
    ctx.out(`${service.name} (${service.file})`);
    const width = Math.min(72, Math.max(...lines.map(([k, v]) => k.length + v.length)) + 4);
    for (const [key, value, from] of lines)
      ctx.out(`  ${`${key}: ${value}`.padEnd(width)} # ${origin(from)}`);
    return 0;
  },
};

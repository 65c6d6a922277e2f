/**
 * Canary weights add up to 100, and budgets are tightened, never loosened: a service's
 * override must be at least as strict as the shared budget, and a scenario of the
 * manifest that relaxes one must say why.
 */
import { BUDGET_METRICS, boundOf, isLooser } from "../../budgets/budget-catalog";
import type { PolicySet } from "../load";
import type { BudgetName, Budgets } from "../types";
import type { Finding, PathSegment } from "../yaml-source";
import { isCatalogued, type Report, reporter } from "./context";

function compareBudgets(
  report: Report,
  path: PathSegment[],
  shared: Budgets,
  overrides: Budgets,
  reasonAllowed: boolean,
  hashCostMs: number,
): void {
  for (const [name, spec] of Object.entries(overrides) as [
    BudgetName,
    NonNullable<Budgets[BudgetName]>,
  ][]) {
    const base = shared[name];
    const here = [...path, name];
    if (!base) {
      report(here, `no shared budget "${name}" to override`, true);
      continue;
    }
    if (spec.mode === "target" && (base.mode ?? "gate") === "gate")
      report([...here, "mode"], `${name} is a gate: an override cannot make it a target`);
    const baseBound = boundOf(name, base);
    const own = boundOf(name, spec) ?? baseBound;
    const bound =
      spec.passwordHashes && own !== undefined ? own + spec.passwordHashes * hashCostMs : own;
    if (spec.passwordHashes && BUDGET_METRICS[name].unit !== "ms")
      report([...here, "passwordHashes"], `passwordHashes adds time: ${name} is not a duration`);
    const field = BUDGET_METRICS[name].field;
    if (bound !== undefined && baseBound !== undefined && isLooser(name, bound, baseBound)) {
      if (!reasonAllowed)
        report(
          [...here, field],
          `${name} may be tightened, never loosened (shared: ${base[field]})`,
        );
      else if (!spec.reason)
        report(here, `${name} is looser than the shared budget: give the reason`, true);
    }
  }
}

export function versionBudgetFindings(set: PolicySet): Finding[] {
  const findings: Finding[] = [];
  const manifest = set.manifest.data;
  const inManifest = reporter(set.manifest, findings);
  for (const [name, spec] of Object.entries(manifest.budgets))
    for (const [i, service] of (spec?.services ?? []).entries())
      if (!isCatalogued(service))
        inManifest(["budgets", name, "services", i], `unknown service "${service}"`);
  for (const [scenario, spec] of Object.entries(manifest.scenarios)) {
    if (!isCatalogued(spec.service))
      inManifest(["scenarios", scenario, "service"], `unknown service "${spec.service}"`);
    compareBudgets(
      inManifest,
      ["scenarios", scenario, "budgets"],
      manifest.budgets,
      spec.budgets ?? {},
      true,
      manifest.passwordHash.costMs,
    );
  }
  for (const [i, exception] of manifest.exceptions.entries())
    if ("service" in exception && !isCatalogued(exception.service))
      inManifest(["exceptions", i, "service"], `unknown service "${exception.service}"`);

  for (const policy of set.policies) {
    const report = reporter(policy, findings);
    const { versions, budgets } = policy.data;
    const total = versions.reduce((sum, v) => sum + v.weight, 0);
    if (total !== 100) report(["versions"], `version weights add up to ${total}, not 100`);
    const names = new Set<string>();
    for (const [i, v] of versions.entries()) {
      if (names.has(v.name)) report(["versions", i, "name"], `version "${v.name}" twice`);
      names.add(v.name);
    }
    compareBudgets(report, ["budgets"], manifest.budgets, budgets ?? {}, false, 0);
  }
  return findings;
}

/** `govern budgets` output: one table per service, with each budget's gap. */
import type { BudgetName } from "../policy/types";
import { BUDGET_METRICS, formatBound } from "./budget-catalog";
import type { BudgetReport, BudgetRow } from "./evaluate-budgets";

function gap(row: BudgetRow): string {
  if (row.measured === undefined) return row.note ?? "";
  const name: BudgetName = row.budget;
  const diff = row.measured - row.bound;
  if (row.status === "met") return "met";
  const amount = formatBound(name, Math.abs(diff));
  return BUDGET_METRICS[name].direction === "max" ? `${amount} over` : `${amount} short`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) =>
    r
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join("  ")
      .trimEnd(),
  );
}

export function formatBudgetReport(report: BudgetReport): string[] {
  const lines: string[] = [];
  const services = [...new Set(report.rows.map((r) => r.service))];
  for (const service of services) {
    const rows = report.rows.filter((r) => r.service === service);
    lines.push(service);
    const body = rows.map((r) => [
      BUDGET_METRICS[r.budget].label,
      r.scope,
      r.mode,
      formatBound(r.budget, r.bound),
      r.measured === undefined ? "-" : formatBound(r.budget, r.measured),
      r.status === "missed" && r.mode === "gate" ? "MISSED (gate)" : r.status,
      gap(r),
    ]);
    lines.push(
      ...table([["budget", "scope", "mode", "budget", "measured", "status", "gap"], ...body]).map(
        (l) => `  ${l}`,
      ),
      "",
    );
  }
  for (const s of report.undeclared)
    lines.push(
      `note: ${s} is not declared in .repo/repo.manifest.yaml (as itself or by scenario); its request budgets were not evaluated`,
    );
  const counts = (status: string) => report.rows.filter((r) => r.status === status).length;
  lines.push(
    `${counts("met")} met, ${counts("missed")} missed (${report.rows.filter((r) => r.status === "missed" && r.mode === "gate").length} gates), ${counts("unmeasured")} unmeasured`,
  );
  return lines;
}

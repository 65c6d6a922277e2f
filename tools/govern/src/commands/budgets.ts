/**
 * `govern budgets [results dir]`: recorded benchmark results (default bench/results)
 * against the budgets in force. Exit 1 only when a gate is missed; a budget without a
 * recorded result is reported as unmeasured.
 */
import { join, resolve } from "node:path";
import { readResults } from "../../../../bench/harness/results";
import { formatBudgetReport } from "../budgets/budget-table";
import { evaluateBudgets } from "../budgets/evaluate-budgets";
import { loadEffective } from "../model/load-effective";
import { type Command, printFindings } from "./command";

export const budgetsCommand: Command = {
  name: "budgets",
  usage: "govern budgets [results dir]",
  summary: "compare recorded benchmark results with the budgets; fail only on a missed gate",
  async run(ctx) {
    const result = loadEffective(ctx.root);
    if (!result.ok) {
      printFindings(ctx, result.findings);
      return 1;
    }
    const dir = ctx.args[0] ? resolve(ctx.args[0]) : join(ctx.root, "bench", "results");
    const report = evaluateBudgets(result.repo, readResults(dir));
    for (const line of formatBudgetReport(report)) ctx.out(line);
    if (report.gateMissed) {
      ctx.err("govern: a gate budget is missed");
      return 1;
    }
    return 0;
  },
};

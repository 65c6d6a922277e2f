/**
 * The Markdown table of recorded results that bench/README.md shows: one row per
 * scenario, variant and concurrency, then one line per scenario saying where and on
 * what commit it ran.
 */
import type { ScenarioResult } from "./results";

/** A number as a reader wants it: whole above 100, otherwise 3 significant digits. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString("en-US");
  return Number(n.toPrecision(3)).toString();
}

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

function errorsCell(run: ScenarioResult["variants"][number]["runs"][number]): string {
  const parts = Object.entries(run.errors.byStatus).map(([status, n]) => `${status}: ${n}`);
  if (run.errors.socket > 0) parts.push(`socket: ${run.errors.socket}`);
  if (run.errors.timeouts > 0) parts.push(`timeout: ${run.errors.timeouts}`);
  return parts.length === 0 ? "0" : parts.join(", ");
}

function versusCell(result: ScenarioResult, variant: string, concurrency: number): string {
  if (result.settings.baseline === variant) return "baseline";
  const c = result.comparisons.find((x) => x.variant === variant && x.concurrency === concurrency);
  if (!c) return "";
  const parts: string[] = [];
  if (c.rpsRatio !== null) {
    const range = c.rpsRatioRange ? ` (${c.rpsRatioRange.map(formatNumber).join("–")})` : "";
    parts.push(`${formatNumber(c.rpsRatio)}× req/s${range}`);
  }
  if (c.p99Ratio !== null) parts.push(`${formatNumber(c.p99Ratio)}× p99`);
  return parts.join(", ");
}

function describeRun(result: ScenarioResult): string {
  const { git, machine, settings } = result;
  const commit = git.commit
    ? `${git.commit.slice(0, 12)}${git.dirty ? " (dirty)" : ""}`
    : "unknown";
  const rounds = settings.interleave ? `, interleaved in ${settings.roundMs} ms rounds` : "";
  const notes = settings.notes.length > 0 ? ` Notes: ${settings.notes.join("; ")}.` : "";
  return (
    `- **${cell(result.scenario)}**: ${cell(result.description)} Commit ${commit}, ` +
    `${machine.cores} cores (${cell(machine.cpuModel)}), node ${machine.nodeVersion}, ` +
    `${result.startedAt.slice(0, 10)}; ${settings.durationMs} ms per run${rounds} after ` +
    `${settings.warmupMs} ms warm-up.${cell(notes)}`
  );
}

/** The table for bench/README.md; an explanatory line when there are no results. */
export function renderMarkdownTable(results: readonly ScenarioResult[]): string {
  if (results.length === 0) return "No recorded results yet.\n";
  const header =
    "| Scenario | Variant | Concurrency | req/s | p50 ms | p95 ms | p99 ms | max ms | Errors | vs baseline | CPU % | Peak RSS MB |";
  const rule = `|${" --- |".repeat(12)}`;
  const rows = results.flatMap((result) =>
    result.variants.flatMap((variant) =>
      variant.runs.map((run) => {
        const cells = [
          result.scenario,
          variant.name,
          String(run.concurrency),
          formatNumber(run.rps),
          formatNumber(run.latencyMs.p50),
          formatNumber(run.latencyMs.p95),
          formatNumber(run.latencyMs.p99),
          formatNumber(run.latencyMs.max),
          errorsCell(run),
          versusCell(result, variant.name, run.concurrency),
          run.processes.map((p) => `${p.name} ${formatNumber(p.cpuPercent)}`).join(", "),
          run.processes.map((p) => `${p.name} ${formatNumber(p.peakRssMb)}`).join(", "),
        ];
        return `| ${cells.map(cell).join(" | ")} |`;
      }),
    ),
  );
  return [header, rule, ...rows, "", ...results.map(describeRun), ""].join("\n");
}

/**
 * Publishing recorded results: an SVG chart per scenario next to its JSON, and the table
 * in bench/README.md between the results markers (the rest of the README is left alone).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { Code, ServiceError } from "@shop/libs/errors";
import { readResults } from "./results";
import { renderChartSvg } from "./results-chart";
import { renderMarkdownTable } from "./results-table";

export const RESULTS_START = "<!-- bench-results:start -->";
export const RESULTS_END = "<!-- bench-results:end -->";

export interface ReportOptions {
  resultsDir: string;
  /** The README whose results section to refresh; none for results outside bench/results. */
  readmePath?: string;
}

/** Writes `<scenario>.svg` for every results file and refreshes the README's table (if given). */
export function writeReport({ resultsDir, readmePath }: ReportOptions): { charts: string[] } {
  const results = readResults(resultsDir);
  const charts = results.map((result) => {
    const path = join(resultsDir, `${result.scenario}.svg`);
    writeFileSync(path, renderChartSvg(result));
    return path;
  });
  if (readmePath === undefined) return { charts };
  const readme = readFileSync(readmePath, "utf8");
  const start = readme.indexOf(RESULTS_START);
  const end = readme.indexOf(RESULTS_END);
  if (start < 0 || end < start) {
    throw new ServiceError(
      Code.FAILED_PRECONDITION,
      `${readmePath} has no ${RESULTS_START} ... ${RESULTS_END} section for the results`,
    );
  }
  const links = charts.map((chart) => {
    const href = relative(dirname(readmePath), chart).split("\\").join("/");
    return `![${relative(resultsDir, chart)}](${href})`;
  });
  const body = [renderMarkdownTable(results).trimEnd(), ...links].join("\n\n");
  const before = readme.slice(0, start);
  const after = readme.slice(end + RESULTS_END.length);
  writeFileSync(readmePath, `${before}${RESULTS_START}\n\n${body}\n\n${RESULTS_END}${after}`);
  return { charts };
}

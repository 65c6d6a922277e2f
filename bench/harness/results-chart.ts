/**
 * A dependency-free SVG chart of one scenario: throughput (left) and p99 latency
 * (right) against concurrency on a log-scale x axis, one line per variant.
 */

import type { ScenarioResult } from "./results";
import { formatNumber } from "./results-table";

const WIDTH = 960;
const HEIGHT = 400;
const PANEL = WIDTH / 2;
const MARGIN = { left: 70, right: 24, top: 86, bottom: 56 };
const PLOT_W = PANEL - MARGIN.left - MARGIN.right;
const PLOT_H = HEIGHT - MARGIN.top - MARGIN.bottom;
const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2"];

/** Escapes text and attribute values for XML. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/** 1, 2 or 5 times a power of ten: the tick step for about `ticks` ticks up to max. */
function niceStep(max: number, ticks: number): number {
  const raw = max / ticks;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].find((m) => m * power >= raw) ?? 10;
  return step * power;
}

const fixed = (n: number) => n.toFixed(1);

interface Metric {
  key: "rps" | "p99";
  title: string;
  value(run: ScenarioResult["variants"][number]["runs"][number]): number;
}

const METRICS: readonly Metric[] = [
  { key: "rps", title: "Throughput (req/s)", value: (run) => run.rps },
  { key: "p99", title: "p99 latency (ms)", value: (run) => run.latencyMs.p99 },
];

function panel(result: ScenarioResult, metric: Metric, index: number): string {
  const concurrencies = [...new Set(result.settings.concurrencies)].sort((a, b) => a - b);
  const lo = Math.log2(concurrencies[0]!);
  const hi = Math.log2(concurrencies.at(-1)!);
  const x0 = index * PANEL + MARGIN.left;
  const x = (c: number) =>
    x0 + (hi === lo ? PLOT_W / 2 : ((Math.log2(c) - lo) / (hi - lo)) * PLOT_W);
  const values = result.variants.flatMap((v) => v.runs.map(metric.value));
  const step = niceStep(Math.max(...values, 0) || 1, 5);
  const top = Math.max(step, Math.ceil(Math.max(...values, 0) / step) * step);
  const y = (v: number) => MARGIN.top + PLOT_H - (v / top) * PLOT_H;
  const bottom = MARGIN.top + PLOT_H;

  const parts: string[] = [`<g class="panel" data-metric="${metric.key}">`];
  for (let k = 0; k <= Math.round(top / step); k++) {
    const v = k * step;
    parts.push(
      `<line x1="${fixed(x0)}" y1="${fixed(y(v))}" x2="${fixed(x0 + PLOT_W)}" y2="${fixed(y(v))}" stroke="#e5e5e5"/>`,
      `<text x="${fixed(x0 - 8)}" y="${fixed(y(v) + 4)}" text-anchor="end">${escapeXml(formatNumber(v))}</text>`,
    );
  }
  for (const c of concurrencies) {
    parts.push(
      `<line x1="${fixed(x(c))}" y1="${bottom}" x2="${fixed(x(c))}" y2="${bottom + 5}" stroke="#333"/>`,
      `<text x="${fixed(x(c))}" y="${bottom + 20}" text-anchor="middle">${c}</text>`,
    );
  }
  parts.push(
    `<line x1="${x0}" y1="${bottom}" x2="${x0 + PLOT_W}" y2="${bottom}" stroke="#333"/>`,
    `<line x1="${x0}" y1="${MARGIN.top}" x2="${x0}" y2="${bottom}" stroke="#333"/>`,
    `<text x="${fixed(x0 + PLOT_W / 2)}" y="${HEIGHT - 14}" text-anchor="middle">concurrency (log scale)</text>`,
    `<text transform="translate(${x0 - 54} ${fixed(MARGIN.top + PLOT_H / 2)}) rotate(-90)" text-anchor="middle">${escapeXml(metric.title)}</text>`,
  );
  result.variants.forEach((variant, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const runs = [...variant.runs].sort((a, b) => a.concurrency - b.concurrency);
    const points = runs.map((run) => `${fixed(x(run.concurrency))},${fixed(y(metric.value(run)))}`);
    parts.push(
      `<polyline class="series" data-variant="${escapeXml(variant.name)}" fill="none" stroke="${colour}" stroke-width="2" points="${points.join(" ")}"/>`,
      ...runs.map(
        (run) =>
          `<circle cx="${fixed(x(run.concurrency))}" cy="${fixed(y(metric.value(run)))}" r="3.5" fill="${colour}"><title>${escapeXml(
            `${variant.name} at ${run.concurrency}: ${formatNumber(metric.value(run))}`,
          )}</title></circle>`,
      ),
    );
  });
  parts.push("</g>");
  return parts.join("\n");
}

/** The chart as an SVG document. */
export function renderChartSvg(result: ScenarioResult): string {
  const commit = result.git.commit ? result.git.commit.slice(0, 12) : "unknown commit";
  const subtitle = `${commit}${result.git.dirty ? " (dirty)" : ""} · ${result.machine.cores} cores · ${result.startedAt.slice(0, 10)}`;
  const legend = result.variants.map((variant, i) => {
    const lx = MARGIN.left + i * 180;
    const colour = COLOURS[i % COLOURS.length]!;
    return (
      `<line x1="${lx}" y1="58" x2="${lx + 24}" y2="58" stroke="${colour}" stroke-width="3"/>` +
      `<text x="${lx + 30}" y="62">${escapeXml(variant.name)}</text>`
    );
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    `<text x="${MARGIN.left}" y="22" font-size="16" font-weight="bold">${escapeXml(result.scenario)}: throughput and p99 against concurrency</text>`,
    `<text x="${MARGIN.left}" y="40" fill="#555">${escapeXml(subtitle)}</text>`,
    ...legend,
    ...METRICS.map((metric, i) => panel(result, metric, i)),
    "</svg>",
    "",
  ].join("\n");
}

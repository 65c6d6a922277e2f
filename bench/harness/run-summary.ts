/**
 * Turning the rounds of one variant at one concurrency into its results entry, and
 * variants into ratios against the baseline. Pure functions: the runner feeds them.
 */
import { createLatencyHistogram } from "./latency-histogram";
import { isSuccessStatus, type LoadRunResult } from "./load-result";
import type { ProcessUsage } from "./process-monitor";
import type { Comparison, RunResult, VariantResult } from "./results";

/** One measured round: what the load worker saw and what each process used meanwhile. */
export interface RoundRecord {
  load: LoadRunResult;
  usage: readonly ProcessUsage[];
}

const round2 = (n: number) => Math.round(n * 100) / 100;
const round3 = (n: number) => Math.round(n * 1000) / 1000;

/**
 * Adds rounds up: req/s over their summed durations, percentiles of the merged
 * histogram, CPU % as summed CPU time over summed wall time, the highest peak RSS.
 */
export function summariseRun(
  concurrency: number,
  rounds: readonly RoundRecord[],
  startupMs: ReadonlyMap<string, number | null>,
): RunResult {
  const histogram = createLatencyHistogram();
  const responses: Record<string, number> = {};
  let requests = 0;
  let durationMs = 0;
  let socket = 0;
  let timeouts = 0;
  const usage = new Map<string, { cpu: number; wall: number; peakKb: number }>();
  for (const { load, usage: used } of rounds) {
    histogram.merge(load.histogram);
    requests += load.requests;
    durationMs += load.durationMs;
    socket += load.socketErrors;
    timeouts += load.timeouts;
    for (const [status, n] of Object.entries(load.responses)) {
      responses[status] = (responses[status] ?? 0) + n;
    }
    for (const u of used) {
      const sum = usage.get(u.name) ?? { cpu: 0, wall: 0, peakKb: 0 };
      usage.set(u.name, {
        cpu: sum.cpu + u.cpuSeconds,
        wall: sum.wall + u.wallSeconds,
        peakKb: Math.max(sum.peakKb, u.peakRssKb),
      });
    }
  }
  const protocol = rounds[0]?.load.protocol ?? "http";
  const byStatus = Object.fromEntries(
    Object.entries(responses).filter(([status]) => !isSuccessStatus(protocol, status)),
  );
  const statusErrors = Object.values(byStatus).reduce((a, b) => a + b, 0);
  return {
    concurrency,
    rounds: rounds.length,
    durationMs: Math.round(durationMs),
    requests,
    rps: durationMs > 0 ? round2((requests * 1000) / durationMs) : 0,
    rpsByRound: rounds.map(({ load }) =>
      load.durationMs > 0 ? round2((load.requests * 1000) / load.durationMs) : 0,
    ),
    latencyMs: {
      p50: round3(histogram.percentileMs(0.5)),
      p95: round3(histogram.percentileMs(0.95)),
      p99: round3(histogram.percentileMs(0.99)),
      max: round3(histogram.maxMs()),
      mean: round3(histogram.meanMs()),
    },
    responses,
    errors: { total: statusErrors + socket + timeouts, byStatus, socket, timeouts },
    processes: [...usage].map(([name, u]) => ({
      name,
      cpuPercent: u.wall > 0 ? round2((u.cpu / u.wall) * 100) : 0,
      peakRssMb: round2(u.peakKb / 1024),
      startupMs: startupMs.get(name) ?? null,
    })),
  };
}

const ratio = (a: number, b: number) => (b > 0 ? round3(a / b) : null);

/**
 * Each non-baseline variant against the baseline at every concurrency both ran. The
 * range pairs round i of one with round i of the other: rounds run back to back, so
 * the spread of their ratios shows how much the machine's noise moved the comparison.
 */
export function compareVariants(
  variants: readonly VariantResult[],
  baselineName: string,
): Comparison[] {
  const baseline = variants.find((v) => v.name === baselineName);
  if (!baseline) return [];
  return variants
    .filter((v) => v !== baseline)
    .flatMap((variant) =>
      variant.runs.flatMap((run) => {
        const base = baseline.runs.find((b) => b.concurrency === run.concurrency);
        if (!base) return [];
        const paired = run.rpsByRound
          .map((rps, i) => ratio(rps, base.rpsByRound[i] ?? 0))
          .filter((r): r is number => r !== null);
        return [
          {
            variant: variant.name,
            baseline: baseline.name,
            concurrency: run.concurrency,
            rpsRatio: ratio(run.rps, base.rps),
            p99Ratio: ratio(run.latencyMs.p99, base.latencyMs.p99),
            rpsRatioRange:
              paired.length > 0
                ? ([Math.min(...paired), Math.max(...paired)] as [number, number])
                : null,
          },
        ];
      }),
    );
}

import { createLatencyHistogram } from "./latency-histogram";
import type { LoadRunResult } from "./load-result";
import type { VariantResult } from "./results";
import { compareVariants, type RoundRecord, summariseRun } from "./run-summary";

function load(
  protocol: "http" | "grpc",
  durationMs: number,
  responses: Record<string, number>,
  latencyMs: number,
  extra: Partial<LoadRunResult> = {},
): LoadRunResult {
  const histogram = createLatencyHistogram();
  const requests = Object.values(responses).reduce((a, b) => a + b, 0);
  for (let i = 0; i < requests; i++) histogram.recordMs(latencyMs);
  return {
    protocol,
    durationMs,
    requests,
    responses,
    socketErrors: 0,
    timeouts: 0,
    histogram: histogram.snapshot(),
    ...extra,
  };
}

const usage = (name: string, cpuSeconds: number, wallSeconds: number, peakRssKb: number) => ({
  name,
  cpuSeconds,
  wallSeconds,
  peakRssKb,
});

describe("summariseRun", () => {
  it("adds rounds up: req/s over summed time, merged latency, CPU over wall time, peak RSS", () => {
    const rounds: RoundRecord[] = [
      {
        load: load("http", 1000, { "200": 90, "503": 10 }, 2, { socketErrors: 1 }),
        usage: [usage("svc", 0.5, 1, 2048), usage("load-http", 0.2, 1, 1024)],
      },
      {
        load: load("http", 3000, { "200": 300 }, 4, { timeouts: 2 }),
        usage: [usage("svc", 0.5, 3, 4096), usage("load-http", 0.2, 3, 512)],
      },
    ];
    const run = summariseRun(8, rounds, new Map([["svc", 120]]));
    expect(run).toMatchObject({
      concurrency: 8,
      rounds: 2,
      durationMs: 4000,
      requests: 400,
      rps: 100,
      rpsByRound: [100, 100],
      responses: { "200": 390, "503": 10 },
      errors: { total: 13, byStatus: { "503": 10 }, socket: 1, timeouts: 2 },
    });
    // 100 samples at 2 ms then 300 at 4 ms.
    expect(run.latencyMs.p50).toBe(4);
    expect(run.latencyMs.mean).toBe(3.5);
    expect(run.processes).toEqual([
      { name: "svc", cpuPercent: 25, peakRssMb: 4, startupMs: 120 },
      { name: "load-http", cpuPercent: 10, peakRssMb: 1, startupMs: null },
    ]);
  });

  it("counts every gRPC status but OK as an error", () => {
    const run = summariseRun(
      1,
      [{ load: load("grpc", 500, { OK: 5, NOT_FOUND: 3, UNAVAILABLE: 2 }, 1), usage: [] }],
      new Map(),
    );
    expect(run.errors).toEqual({
      total: 5,
      byStatus: { NOT_FOUND: 3, UNAVAILABLE: 2 },
      socket: 0,
      timeouts: 0,
    });
    expect(run.rps).toBe(20);
  });

  it("counts HTTP 2xx and 304 (a conditional GET's answer) as success, the rest as errors", () => {
    const answers = { "200": 4, "304": 3, "301": 1, "404": 2 };
    const run = summariseRun(1, [{ load: load("http", 500, answers, 1), usage: [] }], new Map());
    expect(run.errors).toEqual({
      total: 3,
      byStatus: { "301": 1, "404": 2 },
      socket: 0,
      timeouts: 0,
    });
  });
});

describe("compareVariants", () => {
  const variant = (name: string, rpsByRound: number[], p99: number): VariantResult => ({
    name,
    protocol: "http",
    runs: [
      {
        concurrency: 8,
        rounds: rpsByRound.length,
        durationMs: 1000,
        requests: 100,
        rps: rpsByRound.reduce((a, b) => a + b, 0) / rpsByRound.length,
        rpsByRound,
        latencyMs: { p50: 1, p95: 1, p99, max: p99, mean: 1 },
        responses: {},
        errors: { total: 0, byStatus: {}, socket: 0, timeouts: 0 },
        processes: [],
      },
    ],
  });

  it("gives each variant's ratio to the baseline and the spread of paired rounds", () => {
    const comparisons = compareVariants(
      [variant("direct", [100, 200], 2), variant("gateway", [50, 150], 5)],
      "direct",
    );
    expect(comparisons).toEqual([
      {
        variant: "gateway",
        baseline: "direct",
        concurrency: 8,
        rpsRatio: 0.667,
        p99Ratio: 2.5,
        rpsRatioRange: [0.5, 0.75],
      },
    ]);
  });

  it("gives null ratios against a zero baseline, and nothing for an unknown baseline", () => {
    const [c] = compareVariants([variant("a", [0], 0), variant("b", [10], 1)], "a");
    expect(c).toMatchObject({ rpsRatio: null, p99Ratio: null, rpsRatioRange: null });
    expect(compareVariants([variant("a", [1], 1)], "missing")).toEqual([]);
  });
});

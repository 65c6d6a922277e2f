import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseXmlElements } from "./fixtures/xml-elements";
import { tsxCommand } from "./processes";
import { readResults, type ScenarioResult } from "./results";
import { renderChartSvg } from "./results-chart";
import { renderMarkdownTable } from "./results-table";
import { runScenario } from "./scenario";
import { defineScenario } from "./scenario-definition";

const tmp = mkdtempSync(join(tmpdir(), "bench-http-spec-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** This process's environment without BENCH_* variables a developer may have set. */
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !key.startsWith("BENCH_")),
);

const scenario = defineScenario({
  name: "harness-http",
  description: "The harness against a trivial HTTP server.",
  ports: ["http"],
  processes: ({ ports }) => [
    {
      name: "http-server",
      ...tsxCommand(join(__dirname, "fixtures", "http-server.ts")),
      env: { PORT: String(ports.http) },
      ready: { url: `http://127.0.0.1:${ports.http}/ready` },
    },
  ],
  warmupMs: 100,
  durationMs: 300,
  roundMs: 150,
  concurrencies: [1, 4],
  notes: ["harness self-test"],
  variants: [
    {
      name: "ok",
      load: (_c, { ports }) => ({ protocol: "http", url: `http://127.0.0.1:${ports.http}/ok` }),
    },
    {
      name: "fail",
      load: (_c, { ports }) => ({ protocol: "http", url: `http://127.0.0.1:${ports.http}/fail` }),
    },
    {
      name: "mixed",
      load: (_c, { ports }) => ({
        protocol: "http",
        url: `http://127.0.0.1:${ports.http}`,
        requests: [
          { path: "/ok" },
          { method: "POST", path: "/echo", body: "{}" },
          { path: "/fail" },
        ],
      }),
    },
  ],
});

describe("runScenario over HTTP", () => {
  let result: ScenarioResult;
  beforeAll(async () => {
    result = await runScenario(scenario, {
      resultsDir: join(tmp, "results"),
      logDir: tmp,
      env: cleanEnv,
      log: () => {},
    });
  });

  it("writes a results file that validates and equals the returned result", () => {
    expect(existsSync(join(tmp, "results", "harness-http.json"))).toBe(true);
    expect(readResults(join(tmp, "results"))).toEqual([result]);
    expect(result).toMatchObject({
      schemaVersion: 1,
      scenario: "harness-http",
      settings: {
        durationMs: 300,
        warmupMs: 100,
        roundMs: 150,
        concurrencies: [1, 4],
        interleave: true,
        baseline: "ok",
        notes: ["harness self-test"],
      },
    });
    expect(result.git.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(result.machine.cores).toBeGreaterThan(0);
  });

  it("runs every variant at every concurrency in interleaved rounds, with consistent counts", () => {
    for (const variant of result.variants) {
      expect(variant.protocol).toBe("http");
      expect(variant.runs.map((r) => r.concurrency)).toEqual([1, 4]);
      for (const run of variant.runs) {
        expect(run.rounds).toBe(2);
        expect(run.rpsByRound).toHaveLength(2);
        expect(run.requests).toBeGreaterThan(0);
        expect(run.rps).toBeGreaterThan(0);
        const answered = Object.values(run.responses).reduce((a, b) => a + b, 0);
        expect(answered).toBe(run.requests);
        const { p50, p95, p99, max } = run.latencyMs;
        expect(p50).toBeLessThanOrEqual(p95);
        expect(p95).toBeLessThanOrEqual(p99);
        expect(p99).toBeLessThanOrEqual(max);
        expect(max).toBeGreaterThan(0);
      }
    }
  });

  it("counts errors by status", () => {
    const [ok, fail, mixed] = result.variants;
    for (const run of ok!.runs) {
      expect(run.errors).toEqual({ total: 0, byStatus: {}, socket: 0, timeouts: 0 });
      expect(Object.keys(run.responses)).toEqual(["200"]);
    }
    for (const run of fail!.runs) {
      expect(run.errors).toEqual({
        total: run.requests,
        byStatus: { "503": run.requests },
        socket: 0,
        timeouts: 0,
      });
    }
    for (const run of mixed!.runs) {
      // Each connection cycles ok, echo, fail: a third fail, give or take one per
      // connection per round (the request in flight when a round ends).
      const slack = run.rounds * run.concurrency * 2;
      expect(Math.abs(run.errors.byStatus["503"]! * 3 - run.requests)).toBeLessThanOrEqual(slack);
      expect(run.errors.total).toBe(run.errors.byStatus["503"]);
      expect(run.responses["200"]).toBe(run.requests - run.errors.total);
    }
  });

  it("measures the server and the load generator in every run", () => {
    const startup = result.processes.find((p) => p.name === "http-server")!.startupMs;
    expect(startup).toBeGreaterThan(0);
    for (const run of result.variants.flatMap((v) => v.runs)) {
      expect(run.processes.map((p) => p.name)).toEqual(["http-server", "load-http"]);
      const [server, load] = run.processes;
      expect(server).toMatchObject({ startupMs: startup });
      expect(load).toMatchObject({ startupMs: null });
      for (const p of run.processes) {
        expect(p.cpuPercent).toBeGreaterThan(0);
        expect(p.peakRssMb).toBeGreaterThan(0);
      }
    }
  });

  it("compares each variant with the baseline at each concurrency", () => {
    expect(result.comparisons.map((c) => [c.variant, c.concurrency])).toEqual([
      ["fail", 1],
      ["fail", 4],
      ["mixed", 1],
      ["mixed", 4],
    ]);
    for (const c of result.comparisons) {
      expect(c.baseline).toBe("ok");
      expect(c.rpsRatio).toBeGreaterThan(0);
      expect(c.rpsRatioRange![0]).toBeLessThanOrEqual(c.rpsRatioRange![1]);
    }
  });

  it("renders a Markdown row per variant and concurrency", () => {
    const lines = renderMarkdownTable([result]).split("\n");
    const rows = lines.filter((l) => l.startsWith("| harness-http |"));
    expect(rows).toHaveLength(6);
    expect(rows.map((r) => r.split(" | ").slice(1, 3).join(" "))).toEqual([
      "ok 1",
      "ok 4",
      "fail 1",
      "fail 4",
      "mixed 1",
      "mixed 4",
    ]);
    expect(rows[2]).toContain(`503: ${result.variants[1]!.runs[0]!.errors.byStatus["503"]}`);
  });

  it("renders a well-formed SVG with one line per variant in each panel", () => {
    const elements = parseXmlElements(renderChartSvg(result));
    for (const metric of ["rps", "p99"]) {
      const lines = elements.filter(
        (e) => e.name === "polyline" && e.parent?.attributes["data-metric"] === metric,
      );
      expect(lines.map((l) => l.attributes["data-variant"])).toEqual(["ok", "fail", "mixed"]);
      for (const line of lines) expect(line.attributes.points!.split(" ")).toHaveLength(2);
    }
  });
});

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type RunResult,
  readResults,
  type ScenarioResult,
  writeResults,
} from "../../../../bench/harness/results";
import { createFixtureRepo, type FixtureRepo } from "../../test/fixture-repo";
import { runCli } from "../cli";
import { loadEffective } from "../model/load-effective";
import { formatBudgetReport } from "./budget-table";
import { evaluateBudgets } from "./evaluate-budgets";

function run(concurrency: number, p95: number, errors = 0, peakRssMb = 100): RunResult {
  return {
    concurrency,
    rounds: 1,
    durationMs: 10_000,
    requests: 10_000,
    rps: 1_000,
    rpsByRound: [1_000],
    latencyMs: { p50: p95 / 2, p95, p99: p95 * 1.5, max: p95 * 2, mean: p95 / 2 },
    responses: { "200": 10_000 - errors },
    errors: { total: errors, byStatus: errors ? { "503": errors } : {}, socket: 0, timeouts: 0 },
    processes: [
      { name: "product-service", cpuPercent: 30, peakRssMb, startupMs: 900 },
      { name: "load-http", cpuPercent: 10, peakRssMb: 50, startupMs: null },
    ],
  };
}

function result(scenario: string, runs: RunResult[]): ScenarioResult {
  return {
    schemaVersion: 1,
    scenario,
    description: "fixture",
    startedAt: "2025-01-01T00:00:00.000Z",
    finishedAt: "2025-01-01T00:01:00.000Z",
    git: { commit: null, dirty: null },
    machine: {
      cores: 4,
      cpuModel: "fixture",
      totalMemoryMb: 8192,
      nodeVersion: "v20",
      platform: "linux",
      arch: "x64",
      loadAverage: [0, 0, 0],
    },
    settings: {
      durationMs: 10_000,
      warmupMs: 1_000,
      roundMs: 2_000,
      concurrencies: runs.map((r) => r.concurrency),
      interleave: false,
      baseline: null,
      notes: [],
    },
    processes: [{ name: "product-service", startupMs: 900 }],
    variants: [{ name: "direct", protocol: "http", runs }],
    comparisons: [],
  };
}

describe("govern budgets", () => {
  let repo: FixtureRepo;
  let dir: string;
  beforeEach(() => {
    repo = createFixtureRepo();
    dir = mkdtempSync(join(tmpdir(), "budgets-"));
  });
  afterEach(() => {
    repo.remove();
    rmSync(dir, { recursive: true, force: true });
  });
  const evaluate = (...results: ScenarioResult[]) => {
    for (const r of results) writeResults(r, dir);
    const loaded = loadEffective(repo.root);
    if (!loaded.ok) throw new Error("fixture does not validate");
    return evaluateBudgets(loaded.repo, readResults(dir));
  };
  const row = (
    report: ReturnType<typeof evaluate>,
    budget: string,
    scope: string,
    service = "product-service",
  ) =>
    report.rows.find(
      (r) => r.service === service && r.budget === budget && r.scope.startsWith(scope),
    );

  it("reports everything as unmeasured when nothing is recorded, and passes", async () => {
    const report = evaluate();
    expect(report.gateMissed).toBe(false);
    expect(report.rows.every((r) => r.status === "unmeasured")).toBe(true);
    const lines: string[] = [];
    expect(
      await runCli(["budgets", dir, "--root", repo.root], {
        out: (l) => lines.push(l),
        err: (l) => lines.push(l),
      }),
    ).toBe(0);
    expect(lines.join("\n")).toMatch(/0 met, 0 missed \(0 gates\), \d+ unmeasured/);
  });

  it("fails on a missed gate: p95 at the reference concurrency", async () => {
    const report = evaluate(result("list-products", [run(32, 250), run(128, 150)]));
    expect(row(report, "latencyP95", "list-products/direct @32")).toMatchObject({
      mode: "gate",
      status: "missed",
      measured: 250,
    });
    expect(report.gateMissed).toBe(true);
    expect(formatBudgetReport(report).join("\n")).toMatch(/MISSED \(gate\)\s+50 ms over/);
    expect(
      await runCli(["budgets", dir, "--root", repo.root], { out: () => {}, err: () => {} }),
    ).toBe(1);
  });

  it("passes on a missed target: p95 at high concurrency, reported with its gap", () => {
    const report = evaluate(result("list-products", [run(32, 120), run(128, 480)]));
    expect(row(report, "latencyP95High", "list-products/direct >32")).toMatchObject({
      mode: "target",
      status: "missed",
      measured: 480,
    });
    expect(row(report, "latencyP95", "list-products/direct @32")?.status).toBe("met");
    expect(report.gateMissed).toBe(false);
    expect(formatBudgetReport(report).join("\n")).toMatch(/missed\s+280 ms over/);
  });

  it("gates the error rate and a service's own tighter memory budget", () => {
    const report = evaluate(result("get-product", [run(32, 100, 200, 300)]));
    expect(row(report, "errorRate", "get-product")).toMatchObject({
      status: "missed",
      measured: 2,
    });
    // product-service tightened memory to 256 MB in its policy.
    expect(row(report, "memory", "all scenarios")).toMatchObject({
      bound: 256,
      measured: 300,
      status: "missed",
    });
    expect(row(report, "startup", "all scenarios")).toMatchObject({
      bound: 10_000,
      measured: 900,
      status: "met",
    });
    expect(report.gateMissed).toBe(true);
  });

  it("reports missed startup and memory targets beside their met gates, and passes", async () => {
    const recorded = result("get-product", [run(32, 100, 0, 200)]);
    recorded.processes = [{ name: "product-service", startupMs: 2_000 }];
    const report = evaluate(recorded);
    expect(row(report, "startup", "all scenarios")).toMatchObject({
      mode: "gate",
      bound: 10_000,
      measured: 2_000,
      status: "met",
    });
    expect(row(report, "startupTarget", "all scenarios")).toMatchObject({
      mode: "target",
      bound: 1_000,
      measured: 2_000,
      status: "missed",
    });
    // product-service's own 256 MB memory gate; the 150 MB target is the shared one.
    expect(row(report, "memory", "all scenarios")).toMatchObject({
      mode: "gate",
      bound: 256,
      measured: 200,
      status: "met",
    });
    expect(row(report, "memoryTarget", "all scenarios")).toMatchObject({
      mode: "target",
      bound: 150,
      measured: 200,
      status: "missed",
    });
    expect(report.gateMissed).toBe(false);
    const text = formatBudgetReport(report).join("\n");
    expect(text).toMatch(
      /startup \(target\)\s+all scenarios\s+target\s+1 s\s+2 s\s+missed\s+1 s over/,
    );
    expect(text).toMatch(
      /peak memory \(target\)\s+all scenarios\s+target\s+150 MB\s+200 MB\s+missed\s+50 MB over/,
    );
    expect(
      await runCli(["budgets", dir, "--root", repo.root], { out: () => {}, err: () => {} }),
    ).toBe(0);
  });

  it("derives register's latency budget from the password-hash cost", () => {
    const report = evaluate(result("register", [run(4, 280)]));
    expect(row(report, "latencyP95", "register/direct @4", "user-service")).toMatchObject({
      bound: 300,
      status: "met",
    });
  });

  it("notes recorded scenario variants the manifest does not declare", () => {
    expect(evaluate(result("gateway-vs-direct", [run(8, 10)])).undeclared).toEqual([
      "gateway-vs-direct/direct",
    ]);
  });

  it("evaluates a variant declared on its own against its service, the rest by scenario", () => {
    const manifest = ".repo/repo.manifest.yaml";
    repo.replace(
      manifest,
      "scenarios:\n",
      [
        "scenarios:",
        "  compare:",
        "    service: user-service",
        "    referenceConcurrency: 64",
        "  compare/direct:",
        "    service: product-service",
        "    referenceConcurrency: 64",
        "",
      ].join("\n"),
    );
    const recorded = result("compare", [run(64, 250)]);
    recorded.variants.push({ name: "other", protocol: "grpc", runs: [run(64, 20)] });
    const report = evaluate(recorded);
    expect(report.undeclared).toEqual([]);
    expect(row(report, "latencyP95", "compare/direct @64")).toMatchObject({
      status: "missed",
      measured: 250,
    });
    expect(row(report, "latencyP95", "compare/other @64", "user-service")).toMatchObject({
      status: "met",
      measured: 20,
    });
    expect(row(report, "latencyP95", "compare/direct", "user-service")).toBeUndefined();
    expect(report.gateMissed).toBe(true);
  });

  it("holds a service-restricted budget for a scenario that states its own", () => {
    repo.replace(
      ".repo/repo.manifest.yaml",
      "scenarios:\n",
      [
        "scenarios:",
        "  orders:",
        "    service: product-service",
        "    referenceConcurrency: 8",
        "    budgets:",
        "      throughput:",
        "        mode: target",
        "        minRps: 500",
        "        reason: orders have their own target",
        "",
      ].join("\n"),
    );
    const report = evaluate(result("orders", [run(8, 10)]));
    expect(row(report, "throughput", "orders/direct")).toMatchObject({
      mode: "target",
      bound: 500,
      measured: 1_000,
      status: "met",
    });
  });

  it("reports a declared variant that was not recorded as unmeasured", () => {
    repo.replace(
      ".repo/repo.manifest.yaml",
      "scenarios:\n",
      "scenarios:\n  list-products/missing:\n    service: product-service\n    referenceConcurrency: 8\n",
    );
    const report = evaluate(result("list-products", [run(32, 10)]));
    expect(row(report, "latencyP95", "list-products/missing")).toMatchObject({
      status: "unmeasured",
      note: "no such variant recorded",
    });
  });
});

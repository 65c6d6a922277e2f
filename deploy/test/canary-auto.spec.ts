/**
 * make canary-auto's decisions against recorded Prometheus API answers, served by a
 * real HTTP server on loopback to the real client: a canary that passes every step is
 * promoted; one whose gRPC calls fail (with HTTP 200, as gRPC failures do) is rolled
 * back at the step where it fails. The gates come from the policies' budgets.
 */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { judgeWindow } from "../src/canary-auto/canary-gates";
import { type CanaryQueries, canaryQueries } from "../src/canary-auto/canary-queries";
import { runCanaryRollout } from "../src/canary-auto/canary-rollout";
import { createPrometheusClient, PrometheusError } from "../src/canary-auto/prometheus-client";
import {
  gatesFromBudgets,
  loadRolloutPolicy,
  type RolloutPolicy,
  RolloutPolicyError,
  rolloutFromBlock,
} from "../src/canary-auto/rollout-policy";

const ROOT = join(__dirname, "..", "..");
const TARGET = { namespace: "shop", service: "product-service", version: "v2" };
const BUDGETS = {
  minSuccessPercent: 99,
  maxLatencyP95Ms: 200,
  successSource: "budget",
  latencySource: "budget",
};
const POLICY: RolloutPolicy = rolloutFromBlock(undefined, BUDGETS, "policy.yaml");

type Kind = keyof CanaryQueries;
interface Recording {
  description: string;
  windows: Record<Kind, unknown>[];
}

const recording = (name: string): Recording =>
  JSON.parse(readFileSync(join(__dirname, "fixtures", "prometheus", `${name}.json`), "utf8"));

/** Prometheus's query API answering each kind of query with the next recorded window. */
async function recordedPrometheus(windows: Record<Kind, unknown>[], queries: CanaryQueries) {
  const byQuery = new Map(Object.entries(queries).map(([kind, q]) => [q, kind as Kind]));
  const served: Record<Kind, number> = { requests: 0, errors: 0, latencyP95Ms: 0 };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url!, "http://127.0.0.1");
    const kind = byQuery.get(url.searchParams.get("query") ?? "");
    const answer = kind ? windows[served[kind]++]?.[kind] : undefined;
    res.writeHead(answer ? 200 : 400, { "content-type": "application/json" });
    res.end(
      JSON.stringify(
        answer ?? {
          status: "error",
          errorType: "bad_data",
          error: "unexpected query in this test",
        },
      ),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    served,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function rollout(windows: Record<Kind, unknown>[], policy = POLICY) {
  const prometheus = await recordedPrometheus(windows, canaryQueries(TARGET, policy.intervalMs));
  const actions: string[] = [];
  const waited: number[] = [];
  try {
    const result = await runCanaryRollout(
      TARGET,
      policy,
      {
        prometheus: createPrometheusClient(prometheus.url),
        actions: {
          start: async (w) => void actions.push(`start ${w}`),
          setWeight: async (w) => void actions.push(`weight ${w}`),
          promote: async () => void actions.push("promote"),
          rollback: async () => void actions.push("rollback"),
        },
        wait: async (ms) => void waited.push(ms),
        log: () => {},
      },
      { canaryRunning: false },
    );
    return { result, actions, waited, served: prometheus.served };
  } finally {
    await prometheus.close();
  }
}

describe("make canary-auto's decisions on recorded Prometheus answers", () => {
  it("promotes a canary that passes every step, repeating a window with too few calls", async () => {
    const { result, actions, waited, served } = await rollout(recording("passing-canary").windows);
    expect(actions).toEqual(["start 10", "weight 25", "weight 50", "promote"]);
    expect(result.outcome).toBe("promoted");
    expect(result.verdicts.map((v) => [v.weight, v.verdict.outcome])).toEqual([
      [10, "inconclusive"],
      [10, "pass"],
      [25, "pass"],
      [50, "pass"],
    ]);
    expect(result.verdicts[2]!.verdict).toMatchObject({
      successPercent: 99.34,
      latencyP95Ms: 52.92,
    });
    expect(waited).toEqual([60_000, 60_000, 60_000, 60_000]);
    expect(served).toEqual({ requests: 4, errors: 4, latencyP95Ms: 4 });
  });

  it("rolls back a canary whose gRPC calls fail, at the step where they fail", async () => {
    const { result, actions } = await rollout(recording("failing-canary").windows);
    expect(actions).toEqual(["start 10", "weight 25", "rollback"]);
    expect(result).toMatchObject({ outcome: "rolled-back", weight: 25 });
    expect(result.reason).toBe("success rate 93.92% is below 99%");
  });

  it("rolls back on latency, and after three windows without enough calls", async () => {
    const [pass] = recording("failing-canary").windows;
    const slow = structuredClone(pass!) as Record<
      Kind,
      { data: { result: { value: unknown[] }[] } }
    >;
    slow.latencyP95Ms.data.result[0]!.value[1] = "212.5";
    expect((await rollout([slow])).result.reason).toBe("p95 latency 212.5 ms is above 200 ms");

    const idle = structuredClone(pass!) as typeof slow;
    idle.requests.data.result = [];
    const { result, actions } = await rollout([idle, idle, idle]);
    expect(actions).toEqual(["start 10", "rollback"]);
    expect(result.reason).toBe(
      "no conclusive window in 3 tries: 0 calls in the window, at least 20 needed",
    );
  });

  it("stops when Prometheus refuses a query, naming it", async () => {
    const prometheus = await recordedPrometheus([], canaryQueries(TARGET, 60_000));
    try {
      const client = createPrometheusClient(prometheus.url);
      await expect(client.scalar("up")).rejects.toThrow(PrometheusError);
      await expect(client.scalar("up")).rejects.toThrow(
        /bad_data.*unexpected query in this test\n {2}up/s,
      );
    } finally {
      await prometheus.close();
    }
    await expect(createPrometheusClient("http://127.0.0.1:1").scalar("up")).rejects.toThrow(
      /unreachable/,
    );
  });
});

describe("gRPC-aware queries", () => {
  it("count gRPC failures by grpc_response_status, and HTTP failures by status only for non-gRPC calls", () => {
    const q = canaryQueries(TARGET, 120_000);
    const selector =
      'reporter="destination",destination_workload_namespace="shop",destination_app="product-service",destination_version="v2"';
    expect(q.requests).toBe(`sum(increase(istio_requests_total{${selector}}[2m]))`);
    expect(q.errors).toBe(
      `(sum(increase(istio_requests_total{${selector},request_protocol="grpc",grpc_response_status=~"2|4|12|13|14|15"}[2m])) or vector(0)) + ` +
        `(sum(increase(istio_requests_total{${selector},request_protocol!="grpc",response_code=~"5.."}[2m])) or vector(0))`,
    );
    expect(q.latencyP95Ms).toContain(
      "histogram_quantile(0.95, sum by (le) (rate(istio_request_duration_milliseconds_bucket{",
    );
  });

  it("judge a window with no latency sample as inconclusive rather than passing", async () => {
    const answers: Record<string, number | undefined> = { a: 100, b: 0, c: undefined };
    const verdict = await judgeWindow(
      { scalar: async (q) => answers[q] },
      { requests: "a", errors: "b", latencyP95Ms: "c" },
      POLICY,
    );
    expect(verdict.outcome).toBe("inconclusive");
  });
});

describe("the rollout policy", () => {
  it("takes its gates from the budgets in force when the policy has no rollout block", () => {
    const product = loadRolloutPolicy(ROOT, "product-service");
    expect(product).toMatchObject({
      steps: [10, 25, 50],
      intervalMs: 60_000,
      minRequests: 20,
      gates: { minSuccessPercent: 99, maxLatencyP95Ms: 200 },
    });
    // Login and register hash a password: their budget adds its cost.
    expect(gatesFromBudgets(ROOT, "user-service").maxLatencyP95Ms).toBe(210);
  });

  it("reads a rollout block, and refuses a malformed one naming the field", () => {
    const own = rolloutFromBlock(
      {
        steps: [5, 20, 60],
        interval: "2m",
        minRequests: 100,
        gates: { successRate: 99.5, latencyP95: "150ms" },
      },
      BUDGETS,
      "services/order/.repo/policy.yaml",
    );
    expect(own).toMatchObject({
      steps: [5, 20, 60],
      intervalMs: 120_000,
      minRequests: 100,
      gates: { minSuccessPercent: 99.5, maxLatencyP95Ms: 150 },
    });
    expect(own.sources.latencyP95).toBe(
      "services/order/.repo/policy.yaml rollout.gates.latencyP95",
    );
    for (const [block, message] of [
      [{ steps: [50, 10] }, /steps must be rising weights/],
      [{ steps: [0, 10] }, /steps must be rising weights/],
      [{ interval: "soon" }, /rollout\.interval: expected a duration/],
      [{ gates: { successRate: 120 } }, /gates\.successRate: expected a percentage/],
      [{ minRequests: -1 }, /minRequests: expected a whole number/],
    ] as const) {
      const read = () => rolloutFromBlock(block as never, BUDGETS, "p.yaml");
      expect(read).toThrow(RolloutPolicyError);
      expect(read).toThrow(message);
    }
  });
});

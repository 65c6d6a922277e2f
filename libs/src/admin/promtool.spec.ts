import { spawnSync } from "node:child_process";
import { collectDefaultMetrics, Registry } from "prom-client";
import { createLogger } from "../logging";
import { createMetrics } from "../metrics";
import { createAdminServer } from "./admin-server";
import { createReadiness } from "./readiness";

/**
 * `promtool check metrics` on what /metrics serves. Some promtool versions print lint
 * problems (a counter without _total, a gauge with it) and still exit 0, so any output
 * counts as a failure, not only the exit code.
 */
function promtoolCheck(text: string): { status: number | null; problems: string[] } {
  const result = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
  if (result.error) throw result.error;
  const problems = `${result.stdout}\n${result.stderr}`
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  return { status: result.status, problems };
}

const installed = !spawnSync("promtool", ["--version"]).error;
if (!installed && !process.env.CI) {
  console.warn("promtool is not installed: skipping the metrics lint (it runs in CI)");
}
// In CI a missing promtool is a failure (ENOENT from the check), never a silent skip.
const withPromtool = installed || process.env.CI ? it : it.skip;

describe("/metrics under promtool check metrics", () => {
  withPromtool("passes with RPCs, dependency gauges and process metrics recorded", async () => {
    const metrics = createMetrics("order-service");
    const readiness = createReadiness({ registry: metrics.registry });
    readiness.addCheck("database", async () => true, { critical: true });
    readiness.addCheck("redis", async () => false, { critical: false });
    for (const [method, code] of [
      ["/shop.order.v1.OrderService/CreateOrder", "OK"],
      ["/shop.order.v1.OrderService/CreateOrder", "FAILED_PRECONDITION"],
      ["/shop.order.v1.OrderService/GetOrder", "NOT_FOUND"],
      ["/shop.order.v1.OrderService/GetOrder", "DEADLINE_EXCEEDED"],
    ] as const) {
      metrics.rpc.start(method)(code);
    }
    metrics.rpc.start("/shop.order.v1.OrderService/ListOrders", "connect")("UNAVAILABLE");
    metrics.rpc.start("/shop.order.v1.OrderService/WatchOrder"); // still in flight

    const server = createAdminServer({
      service: "order-service",
      metrics,
      readiness,
      logger: createLogger({ service: "order-service", level: "silent" }),
    });
    const port = await server.start("127.0.0.1", 0);
    try {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(text).toContain(
        'rpc_server_requests_total{method="/shop.order.v1.OrderService/GetOrder"',
      );
      expect(text).toContain('dependency_up{dependency="redis",service="order-service"} 0');
      expect(text).toContain("nodejs_eventloop_lag_p99_seconds");
      expect(promtoolCheck(text)).toEqual({ status: 0, problems: [] });
    } finally {
      await server.close();
    }
  });

  withPromtool("would catch prom-client's default nodejs_active_*_total gauges", async () => {
    // Proves the check above can fail: this is the output createMetrics cleans up.
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const { problems } = promtoolCheck(await registry.metrics());
    expect(problems).toEqual(
      expect.arrayContaining([expect.stringContaining("nodejs_active_handles_total")]),
    );
  });
});

import { createMetrics, LATENCY_BUCKETS, type Metrics } from "./metrics";

async function samples(metrics: Metrics, name: string) {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  if (!metric) throw new Error(`no metric ${name}`);
  return metric.values as {
    labels: Record<string, string | number>;
    value: number;
    metricName?: string;
  }[];
}

describe("createMetrics", () => {
  it("gives each instance its own registry: recording in one does not show in the other", async () => {
    const orders = createMetrics("order-service");
    const products = createMetrics("product-service");
    expect(orders.registry).not.toBe(products.registry);

    orders.rpc.start("/shop.order.v1.OrderService/GetOrder")("OK");
    expect(await samples(orders, "rpc_server_requests_total")).toHaveLength(1);
    expect(await samples(products, "rpc_server_requests_total")).toEqual([]);
    expect(await products.render()).not.toContain("OrderService");
  });

  it("labels every sample with the service", async () => {
    const metrics = createMetrics("user-service");
    metrics.rpc.start("/shop.user.v1.UserService/Login")("OK");
    const text = await metrics.render();
    expect(text).toMatch(/^process_cpu_seconds_total\{service="user-service"\} /m);
    expect(text).toContain('service="user-service"}');
  });

  it("leaves out prom-client's nodejs_active_*_total gauges but keeps their twins", async () => {
    const text = await createMetrics("order-service").render();
    expect(text).not.toMatch(/^nodejs_active_\w+_total/m);
    for (const name of [
      "nodejs_active_handles",
      "nodejs_active_requests",
      "nodejs_active_resources",
    ]) {
      expect(text).toContain(`# TYPE ${name} gauge`);
    }
    expect(text).toContain("# TYPE nodejs_eventloop_lag_p99_seconds gauge");
  });

  it("counts RPCs and observes latency by method, protocol and code", async () => {
    const metrics = createMetrics("order-service");
    const method = "/shop.order.v1.OrderService/CreateOrder";
    metrics.rpc.start(method)("OK");
    metrics.rpc.start(method)("OK");
    metrics.rpc.start(method)("FAILED_PRECONDITION");
    metrics.rpc.start(method, "connect")("OK");

    const counts = await samples(metrics, "rpc_server_requests_total");
    expect(counts).toEqual(
      expect.arrayContaining([
        { labels: { method, protocol: "grpc", code: "OK", service: "order-service" }, value: 2 },
        {
          labels: {
            method,
            protocol: "grpc",
            code: "FAILED_PRECONDITION",
            service: "order-service",
          },
          value: 1,
        },
        { labels: { method, protocol: "connect", code: "OK", service: "order-service" }, value: 1 },
      ]),
    );
    expect(counts).toHaveLength(3);

    const histogram = await samples(metrics, "rpc_server_duration_seconds");
    const count = histogram.find(
      (s) =>
        s.metricName === "rpc_server_duration_seconds_count" &&
        s.labels.code === "OK" &&
        s.labels.protocol === "grpc",
    );
    expect(count?.value).toBe(2);
    const buckets = histogram.filter(
      (s) =>
        s.metricName === "rpc_server_duration_seconds_bucket" &&
        s.labels.code === "FAILED_PRECONDITION",
    );
    expect(buckets.map((s) => s.labels.le)).toEqual([...LATENCY_BUCKETS, "+Inf"]);
    expect(buckets.at(-1)?.value).toBe(1);
  });

  it("tracks calls in flight, and counts a call once even if ended twice", async () => {
    const metrics = createMetrics("order-service");
    const method = "/shop.order.v1.OrderService/WatchOrder";
    const first = metrics.rpc.start(method);
    const second = metrics.rpc.start(method);
    const inFlight = async () =>
      (await samples(metrics, "rpc_server_in_flight_requests")).find(
        (s) => s.labels.method === method,
      )?.value;
    expect(await inFlight()).toBe(2);

    first("CANCELLED");
    first("CANCELLED");
    expect(await inFlight()).toBe(1);
    second("OK");
    expect(await inFlight()).toBe(0);
    const counts = await samples(metrics, "rpc_server_requests_total");
    expect(counts.map((s) => [s.labels.code, s.value])).toEqual([
      ["CANCELLED", 1],
      ["OK", 1],
    ]);
  });
});

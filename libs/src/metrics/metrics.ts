import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** Latency buckets in seconds: fine below the 200 ms p95 budget, coarse above. */
export const LATENCY_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2.5, 5, 10,
];

/** RPC metrics for the server side of a gRPC (or gateway) call. */
export interface RpcMetrics {
  /** A call started; returns the function that records its end with the status code name. */
  start(method: string, protocol?: string): (code: string) => void;
}

export interface Metrics {
  /** This instance's registry: never prom-client's global one (embedded mode). */
  readonly registry: Registry;
  readonly rpc: RpcMetrics;
  /** The Prometheus text exposition of every metric. */
  render(): Promise<string>;
}

/**
 * A metrics registry per service instance with process and event-loop saturation,
 * and per-RPC request count, errors (by gRPC code) and latency. prom-client's default
 * `nodejs_active_*_total` gauges are dropped: a gauge must not end in `_total`, and
 * `promtool check metrics` rejects them (their un-suffixed twins remain).
 */
export function createMetrics(service: string): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  for (const name of [
    "nodejs_active_resources_total",
    "nodejs_active_handles_total",
    "nodejs_active_requests_total",
  ]) {
    registry.removeSingleMetric(name);
  }

  const labelNames = ["method", "protocol"] as const;
  const requests = new Counter({
    name: "rpc_server_requests_total",
    help: "RPCs handled, by method, protocol and gRPC status code.",
    labelNames: [...labelNames, "code"],
    registers: [registry],
  });
  const duration = new Histogram({
    name: "rpc_server_duration_seconds",
    help: "RPC latency from first byte in to status out, by method, protocol and code.",
    labelNames: [...labelNames, "code"],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const inFlight = new Gauge({
    name: "rpc_server_in_flight_requests",
    help: "RPCs being handled now (saturation).",
    labelNames,
    registers: [registry],
  });

  return {
    registry,
    rpc: {
      start(method, protocol = "grpc") {
        const started = process.hrtime.bigint();
        inFlight.inc({ method, protocol });
        let done = false;
        return (code) => {
          if (done) return;
          done = true;
          inFlight.dec({ method, protocol });
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          requests.inc({ method, protocol, code });
          duration.observe({ method, protocol, code }, seconds);
        };
      },
    },
    render: () => registry.metrics(),
  };
}

/**
 * Per-route HTTP metrics: requests by route template, method and status, and latency
 * from the first byte in to the last byte out. Routes are labelled by their template
 * ("/api/products/{product_id}"), never by the concrete path, so the label set stays
 * bounded; anything unmatched is "unmatched".
 */
import { LATENCY_BUCKETS } from "@shop/libs/metrics";
import { Counter, Histogram, type Registry } from "prom-client";

export interface HttpMetrics {
  /** Starts timing a request; the returned function records it once answered. */
  start(): (route: string, method: string, status: number) => void;
}

export function createHttpMetrics(registry: Registry): HttpMetrics {
  const labelNames = ["route", "method", "status"] as const;
  const requests = new Counter({
    name: "http_server_requests_total",
    help: "HTTP requests answered, by route template, method and status.",
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "http_server_duration_seconds",
    help: "HTTP request latency by route template, method and status.",
    labelNames,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  return {
    start() {
      const started = process.hrtime.bigint();
      return (route, method, status) => {
        const labels = { route, method, status: String(status) };
        requests.inc(labels);
        duration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
      };
    },
  };
}

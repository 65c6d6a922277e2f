export { createMetrics, LATENCY_BUCKETS, type Metrics, type RpcMetrics } from "./metrics";

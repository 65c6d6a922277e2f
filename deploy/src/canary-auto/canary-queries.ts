/**
 * PromQL for a canary's gates, over Istio's standard metrics as the server-side proxy
 * reports them (`reporter="destination"`), selecting the canary by its `app` and
 * `version` labels (Istio's destination_app and destination_version).
 *
 * gRPC-aware: a gRPC call that fails still answers HTTP 200 with the failure in its
 * `grpc-status` trailer, so an error rate over `response_code` (Flagger's default
 * request-success-rate) sees every gRPC failure as a success. Here a gRPC call is an
 * error when Istio's `grpc_response_status` is a server-side failure; other HTTP
 * traffic (the gateway's REST) when `response_code` is 5xx.
 */

/**
 * Codes that say the server failed: UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL,
 * UNAVAILABLE, DATA_LOSS. The caller's own mistakes (INVALID_ARGUMENT, NOT_FOUND,
 * PERMISSION_DENIED, FAILED_PRECONDITION...), cancellations and RESOURCE_EXHAUSTED (load
 * shedding and rate limits, correct behaviour past saturation) are not the canary's
 * failures.
 */
export const SERVER_FAILURE_GRPC_CODES = [2, 4, 12, 13, 14, 15] as const;

export interface CanaryTarget {
  namespace: string;
  service: string;
  version: string;
}

export interface CanaryQueries {
  /** Calls the canary served in the window. */
  requests: string;
  /** Calls that failed on the server side in the window. */
  errors: string;
  /** p95 of the canary's server-side request duration in the window, in ms. */
  latencyP95Ms: string;
}

function selector(target: CanaryTarget, extra: string[] = []): string {
  const labels = [
    'reporter="destination"',
    `destination_workload_namespace="${target.namespace}"`,
    `destination_app="${target.service}"`,
    `destination_version="${target.version}"`,
    ...extra,
  ];
  return `{${labels.join(",")}}`;
}

/** `60000` -> `60s`: Prometheus range durations. */
export function promDuration(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.max(1, Math.round(ms / 1000))}s`;
}

export function canaryQueries(target: CanaryTarget, windowMs: number): CanaryQueries {
  const w = promDuration(windowMs);
  const count = (extra: string[]) =>
    `sum(increase(istio_requests_total${selector(target, extra)}[${w}]))`;
  const grpcFailures = count([
    'request_protocol="grpc"',
    `grpc_response_status=~"${SERVER_FAILURE_GRPC_CODES.join("|")}"`,
  ]);
  const httpFailures = count(['request_protocol!="grpc"', 'response_code=~"5.."']);
  return {
    requests: count([]),
    // `or vector(0)`: no failing series at all means zero failures, not "no data".
    errors: `(${grpcFailures} or vector(0)) + (${httpFailures} or vector(0))`,
    latencyP95Ms: `histogram_quantile(0.95, sum by (le) (rate(istio_request_duration_milliseconds_bucket${selector(target)}[${w}])))`,
  };
}

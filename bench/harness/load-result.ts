import type { HistogramSnapshot } from "./latency-histogram";

/**
 * What a load worker reports for one phase. Every protocol uses this shape, so the
 * scenario runner merges and summarises them the same way.
 */
export interface LoadRunResult {
  protocol: "http" | "grpc" | "pg";
  /** Wall time from the first request sent to the last answer, in ms. */
  durationMs: number;
  /** Requests answered (with any status), the basis of req/s. */
  requests: number;
  /**
   * Answers by status: HTTP status codes ("200", "503"), gRPC code names ("OK"), or for
   * PostgreSQL "OK" and the SQLSTATE of an error ("57014").
   */
  responses: Record<string, number>;
  /** Connection-level failures (refused, reset) that got no answer at all. */
  socketErrors: number;
  /** Requests that got no answer within the request timeout. */
  timeouts: number;
  /** Latency of every answered request, errors included. */
  histogram: HistogramSnapshot;
}

/**
 * Whether a status key in `responses` counts as success: 2xx for HTTP, and 304, the
 * answer a conditional GET asks for (Not Modified: the client's copy is current); OK
 * for gRPC and PostgreSQL.
 */
export function isSuccessStatus(protocol: LoadRunResult["protocol"], status: string): boolean {
  return protocol === "http" ? /^(2\d\d|304)$/.test(status) : status === "OK";
}

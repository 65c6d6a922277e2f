/**
 * The HTTP load worker process: runs autocannon for each spec the harness sends. Latency
 * and statuses are taken from autocannon's per-response events into our own histogram,
 * because autocannon's summary has no p95 and cannot be merged across rounds.
 */
import { createLatencyHistogram } from "./latency-histogram";
import type { HttpLoadSpec } from "./load-http";
import type { LoadRunResult } from "./load-result";
import { serveLoadRequests } from "./load-worker";

/** The part of autocannon 9 used here (it ships no types). */
interface AutocannonSummary {
  errors: number;
  timeouts: number;
}
interface AutocannonInstance {
  on(
    event: "response",
    listener: (client: unknown, statusCode: number, bytes: number, ms: number) => void,
  ): void;
}
type Autocannon = (
  options: Record<string, unknown>,
  done: (error: Error | null, summary: AutocannonSummary) => void,
) => AutocannonInstance;

// autocannon has no type declarations to import against.
const autocannon: Autocannon = require("autocannon");

function runHttp(spec: HttpLoadSpec): Promise<LoadRunResult> {
  const histogram = createLatencyHistogram();
  const responses: Record<string, number> = {};
  let requests = 0;
  const startedAt = performance.now();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.url,
        method: spec.method ?? "GET",
        headers: spec.headers ?? {},
        body: spec.body,
        requests: spec.requests?.map((r) => ({ ...r })),
        connections: spec.connections,
        duration: spec.durationMs / 1000,
        overallRate: spec.rate,
        timeout: (spec.timeoutMs ?? 10_000) / 1000,
        // autocannon notices the end of the duration only on its sampling tick.
        sampleInt: 25,
      },
      (error, summary) => {
        if (error) {
          reject(error);
          return;
        }
        resolve({
          protocol: "http",
          durationMs: performance.now() - startedAt,
          requests,
          responses,
          socketErrors: summary.errors - summary.timeouts,
          timeouts: summary.timeouts,
          histogram: histogram.snapshot(),
        });
      },
    );
    instance.on("response", (_client, statusCode, _bytes, ms) => {
      requests += 1;
      responses[statusCode] = (responses[statusCode] ?? 0) + 1;
      histogram.recordMs(ms);
    });
  });
}

serveLoadRequests(runHttp);

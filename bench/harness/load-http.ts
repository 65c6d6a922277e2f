/**
 * HTTP load with autocannon, driven from a separate worker process (load-http-worker.ts).
 */
import { join } from "node:path";
import type { LoadRunResult } from "./load-result";
import { type LoadWorker, startLoadWorker } from "./load-worker";

/** One request of a cycle; unset fields fall back to the spec's. */
export interface HttpRequestSpec {
  method?: string;
  /** Path and query, e.g. "/api/products?page=2"; default the url's. */
  path?: string;
  headers?: Readonly<Record<string, string>>;
  body?: string;
}

export interface HttpLoadSpec {
  protocol: "http";
  /** Origin and default path, e.g. http://127.0.0.1:8000/api/products. */
  url: string;
  method?: string;
  headers?: Readonly<Record<string, string>>;
  body?: string;
  /** When set, each connection cycles through these requests in order. */
  requests?: readonly HttpRequestSpec[];
  /** Keep-alive connections, each with one request in flight: the concurrency. */
  connections: number;
  durationMs: number;
  /** Total requests per second across connections (open-loop); default as fast as answered. */
  rate?: number;
  /** Per-request timeout; default 10 s. */
  timeoutMs?: number;
}

export type HttpLoadWorker = LoadWorker<HttpLoadSpec, LoadRunResult>;

/** Forks the autocannon worker; reuse it for every HTTP phase of a scenario. */
export function startHttpLoadWorker(): HttpLoadWorker {
  return startLoadWorker("load-http", join(__dirname, "load-http-worker.ts"));
}

/** One phase in a worker of its own, for use outside a scenario. */
export async function runHttpLoad(spec: HttpLoadSpec): Promise<LoadRunResult> {
  const worker = startHttpLoadWorker();
  try {
    return await worker.run(spec);
  } finally {
    await worker.close();
  }
}

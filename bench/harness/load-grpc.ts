/**
 * gRPC unary load from a separate worker process (load-grpc-worker.ts): a pre-encoded
 * request sent raw, so the worker needs no generated code and spends no time encoding.
 */
import { join } from "node:path";
import type { LoadRunResult } from "./load-result";
import { type LoadWorker, startLoadWorker } from "./load-worker";

export interface GrpcLoadSpec {
  protocol: "grpc";
  /** host:port, e.g. 127.0.0.1:50052. */
  target: string;
  /** Full method path, e.g. /shop.product.v1.ProductService/GetProduct. */
  method: string;
  /** The encoded request message; with several, each caller cycles through them. */
  request: Uint8Array | readonly Uint8Array[];
  /** Sent with every call; values of keys ending in -bin are base64. */
  metadata?: Readonly<Record<string, string>>;
  /** Calls in flight at once: the concurrency. */
  concurrency: number;
  durationMs: number;
  /** Per-call deadline; default 10 s. */
  deadlineMs?: number;
  /** HTTP/2 connections the calls are spread over; default 1, as a grpc-js client has. */
  channels?: number;
}

/** The IPC form: Buffers do not survive JSON, base64 does. */
export interface GrpcWireSpec extends Omit<GrpcLoadSpec, "request"> {
  requestsBase64: string[];
}

export type GrpcLoadWorker = LoadWorker<GrpcLoadSpec, LoadRunResult>;

/** Forks the gRPC worker; reuse it for every gRPC phase of a scenario (channels stay warm). */
export function startGrpcLoadWorker(): GrpcLoadWorker {
  const worker = startLoadWorker<GrpcWireSpec, LoadRunResult>(
    "load-grpc",
    join(__dirname, "load-grpc-worker.ts"),
  );
  return {
    name: worker.name,
    pid: worker.pid,
    ready: worker.ready,
    close: () => worker.close(),
    run({ request, ...rest }) {
      const requests = request instanceof Uint8Array ? [request] : [...request];
      return worker.run({
        ...rest,
        requestsBase64: requests.map((r) => Buffer.from(r).toString("base64")),
      });
    },
  };
}

/** One phase in a worker of its own, for use outside a scenario. */
export async function runGrpcLoad(spec: GrpcLoadSpec): Promise<LoadRunResult> {
  const worker = startGrpcLoadWorker();
  try {
    return await worker.run(spec);
  } finally {
    await worker.close();
  }
}

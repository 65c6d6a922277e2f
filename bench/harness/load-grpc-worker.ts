/**
 * The gRPC load worker process: keeps `concurrency` unary calls in flight for the
 * duration, each sent as raw bytes through a generic grpc-js client.
 */
import { Client, credentials, Metadata, status } from "@grpc/grpc-js";
import { createLatencyHistogram } from "./latency-histogram";
import type { GrpcWireSpec } from "./load-grpc";
import type { LoadRunResult } from "./load-result";
import { serveLoadRequests } from "./load-worker";

const raw = (b: Buffer) => b;

function metadataOf(values: Readonly<Record<string, string>> = {}): Metadata {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(values)) {
    if (key.endsWith("-bin")) metadata.set(key, Buffer.from(value, "base64"));
    else metadata.set(key, value);
  }
  return metadata;
}

/** Runs phases; channels are kept across them, so later rounds pay no connection setup. */
function createGrpcRunner(): (spec: GrpcWireSpec) => Promise<LoadRunResult> {
  const channelsByTarget = new Map<string, Client[]>();
  const channelsFor = (target: string, count: number): Client[] => {
    const key = `${target}#${count}`;
    let channels = channelsByTarget.get(key);
    if (!channels) {
      const options = { "grpc.use_local_subchannel_pool": 1 };
      // A local subchannel pool gives each client its own HTTP/2 connection.
      channels = Array.from(
        { length: count },
        () => new Client(target, credentials.createInsecure(), options),
      );
      channelsByTarget.set(key, channels);
    }
    return channels;
  };
  return (spec) => runGrpc(spec, channelsFor(spec.target, spec.channels ?? 1));
}

async function runGrpc(spec: GrpcWireSpec, channels: Client[]): Promise<LoadRunResult> {
  const requests = spec.requestsBase64.map((r) => Buffer.from(r, "base64"));
  const metadata = metadataOf(spec.metadata);
  const histogram = createLatencyHistogram();
  const responses: Record<string, number> = {};
  let answered = 0;

  const call = (client: Client, request: Buffer) =>
    new Promise<void>((resolve) => {
      const sentAt = performance.now();
      client.makeUnaryRequest(
        spec.method,
        raw,
        raw,
        request,
        metadata.clone(),
        { deadline: Date.now() + (spec.deadlineMs ?? 10_000) },
        (error) => {
          histogram.recordMs(performance.now() - sentAt);
          const name = status[error?.code ?? status.OK] ?? String(error?.code);
          responses[name] = (responses[name] ?? 0) + 1;
          answered += 1;
          resolve();
        },
      );
    });

  const startedAt = performance.now();
  const endAt = startedAt + spec.durationMs;
  // One cursor shared by the callers: each call takes the next entry, so the list is
  // walked once before any entry repeats (a list of one-off requests, a new address per
  // Register, is never re-sent while it lasts) and every caller cycles through all of it.
  // A per-caller stride (caller k sends k, k + n, ...) does the former but not the
  // latter: with a list of two and an even concurrency each caller would send one entry.
  let next = 0;
  const caller = async (index: number) => {
    const client = channels[index % channels.length]!;
    while (performance.now() < endAt) {
      const request = requests[next % requests.length]!;
      next += 1;
      await call(client, request);
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, (_, i) => caller(i)));
  return {
    protocol: "grpc",
    durationMs: performance.now() - startedAt,
    requests: answered,
    responses,
    socketErrors: 0,
    // A missed deadline is a status of its own (DEADLINE_EXCEEDED in `responses`).
    timeouts: 0,
    histogram: histogram.snapshot(),
  };
}

serveLoadRequests(createGrpcRunner());

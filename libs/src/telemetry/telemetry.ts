import type { IncomingMessage } from "node:http";
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { GrpcInstrumentation } from "@opentelemetry/instrumentation-grpc";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { IORedisInstrumentation } from "@opentelemetry/instrumentation-ioredis";
import { PgInstrumentation } from "@opentelemetry/instrumentation-pg";
import { NodeSDK } from "@opentelemetry/sdk-node";
import {
  BatchSpanProcessor,
  NoopSpanProcessor,
  SimpleSpanProcessor,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { createServiceNameProcessor } from "./service-name";
import { createSpanFileExporter } from "./span-file-exporter";
import { currentTelemetry, setCurrentTelemetry, type Telemetry } from "./telemetry-handle";

/** The resource's service.name when all services share one process. */
export const EMBEDDED_SERVICE_NAME = "shop-embedded";

export interface TelemetryOptions {
  /** The service, e.g. "order-service"; ignored in the embedded mode. */
  serviceName: string;
  /** All services in one process: one resource, and spans carry `shop.service`. */
  embedded?: boolean;
  /** OTEL_EXPORTER_OTLP_ENDPOINT, e.g. http://collector:4318; spans go to <it>/v1/traces. */
  otlpEndpoint?: string;
  /** A file to append finished spans to as JSON lines (see span-file-exporter.ts). */
  spanFile?: string;
}

/** Admin probes and scrapes would fill the traces with noise every few seconds. */
const UNTRACED_PATHS = new Set(["/health", "/ready", "/metrics"]);

/**
 * Starts the OpenTelemetry SDK for this process: grpc, http, pg and ioredis
 * instrumentation, W3C trace-context and baggage propagation, OTLP/protobuf export when
 * an endpoint is given, and the span file when one is given. Spans are created (and so
 * propagated, and logged as traceId) even when nothing exports them.
 *
 * Must run before @grpc/grpc-js, http, pg or ioredis are loaded: use the preload
 * (`node --require libs/src/telemetry/preload`). A second call returns the first handle
 * unchanged: the SDK is the one process-wide piece of the runtime (DESIGN.md, libs/
 * rules), since the instrumentation patches modules that every service in the process
 * shares.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  const running = currentTelemetry();
  if (running) return running;

  const embedded = options.embedded === true;
  const serviceName = embedded ? EMBEDDED_SERVICE_NAME : options.serviceName;
  const processors: SpanProcessor[] = [];
  if (embedded) processors.push(createServiceNameProcessor());
  if (options.otlpEndpoint) {
    const url = `${options.otlpEndpoint.replace(/\/+$/, "")}/v1/traces`;
    processors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url })));
  }
  if (options.spanFile) {
    // One line per span as it ends, so `tail -f` shows a request while it happens.
    processors.push(new SimpleSpanProcessor(createSpanFileExporter(options.spanFile)));
  }
  // Without a processor NodeSDK registers no tracer provider, and then no span exists
  // to propagate or to put a traceId in the logs.
  if (processors.length === 0) processors.push(new NoopSpanProcessor());

  const instrumentations = [
    new HttpInstrumentation({
      ignoreIncomingRequestHook: (req: IncomingMessage) =>
        UNTRACED_PATHS.has((req.url ?? "").split("?", 1)[0] ?? ""),
    }),
    new GrpcInstrumentation(),
    new PgInstrumentation(),
    new IORedisInstrumentation(),
  ];
  const sdk = new NodeSDK({
    serviceName,
    spanProcessors: processors,
    // Traces only: without these NodeSDK would start OTLP metric and log exporters from
    // the OTEL_* environment. Metrics are Prometheus, logs are stdout.
    metricReaders: [],
    logRecordProcessors: [],
    textMapPropagator: new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
    instrumentations,
  });
  sdk.start();

  let stopped: Promise<void> | undefined;
  const telemetry: Telemetry = {
    serviceName,
    embedded,
    flush: async () => {
      await Promise.all(processors.map((processor) => processor.forceFlush()));
    },
    shutdown: () => {
      // NodeSDK.shutdown flushes the processors before stopping them; it leaves the
      // modules patched, so the instrumentations are disabled here too.
      stopped ??= sdk.shutdown().finally(() => {
        for (const instrumentation of instrumentations) instrumentation.disable();
      });
      return stopped;
    },
  };
  setCurrentTelemetry(telemetry);
  return telemetry;
}

/** Flushes and stops the process's telemetry, if it was started; the end of a graceful shutdown. */
export async function shutdownTelemetry(): Promise<void> {
  await currentTelemetry()?.shutdown();
}

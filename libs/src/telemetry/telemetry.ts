import type { IncomingMessage } from "node:http";
import { context, propagation, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from "@opentelemetry/core";
import { GrpcInstrumentation } from "@opentelemetry/instrumentation-grpc";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { IORedisInstrumentation } from "@opentelemetry/instrumentation-ioredis";
import { PgInstrumentation } from "@opentelemetry/instrumentation-pg";
import {
  defaultResource,
  detectResources,
  envDetector,
  hostDetector,
  processDetector,
  resourceFromAttributes,
} from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  NoopSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";
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
 * The OTLP/protobuf exporter, loaded only when an endpoint is configured: its module
 * brings the OTLP transformer and the metrics SDK with it, about a third of what the
 * tracing SDK costs a process to load (bench/README.md, mesh-cold-start).
 */
function otlpExporter(url: string): SpanExporter {
  const { OTLPTraceExporter } =
    require("@opentelemetry/exporter-trace-otlp-proto") as typeof import("@opentelemetry/exporter-trace-otlp-proto");
  return new OTLPTraceExporter({ url });
}

/**
 * Starts OpenTelemetry tracing for this process: grpc, http, pg and ioredis
 * instrumentation, W3C trace-context and baggage propagation, an AsyncLocalStorage
 * context manager, OTLP/protobuf export when an endpoint is given, and the span file
 * when one is given. Spans are created (and so propagated, and logged as traceId) even
 * when nothing exports them.
 *
 * Built from the tracing SDK's parts rather than NodeSDK: NodeSDK loads every exporter,
 * propagator and the metrics and logs SDKs it could be configured for (a YAML parser
 * included) whatever this process uses, which was the largest single cost of a
 * process's start. What NodeSDK did for us is done here the same way: the resource
 * from the env, process and host detectors plus service.name, the sampler and span
 * limits from OTEL_* (BasicTracerProvider reads them), the tracer provider, context
 * manager and propagator registered globally, and no metric or log exporters.
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
    processors.push(new BatchSpanProcessor(otlpExporter(url)));
  }
  if (options.spanFile) {
    // One line per span as it ends, so `tail -f` shows a request while it happens.
    processors.push(new SimpleSpanProcessor(createSpanFileExporter(options.spanFile)));
  }
  // Spans are recorded even when nothing exports them: they carry the trace context
  // that is propagated and logged.
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
  const resource = defaultResource()
    .merge(detectResources({ detectors: [envDetector, processDetector, hostDetector] }))
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName }));
  const provider = new BasicTracerProvider({ resource, spanProcessors: processors });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(
    new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
  );
  trace.setGlobalTracerProvider(provider);
  // The instrumentations patched their modules' loading when constructed; from here
  // their spans come from this provider.
  for (const instrumentation of instrumentations) instrumentation.setTracerProvider(provider);

  let stopped: Promise<void> | undefined;
  const telemetry: Telemetry = {
    serviceName,
    embedded,
    flush: () => provider.forceFlush(),
    shutdown: () => {
      // Flushes the processors before stopping them. The modules stay patched, so the
      // instrumentations are disabled too; the globals stay registered (as NodeSDK left
      // them), so spans started later are dropped by the stopped provider.
      stopped ??= provider.shutdown().finally(() => {
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

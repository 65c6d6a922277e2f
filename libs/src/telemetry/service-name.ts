import { type Context, context, createContextKey, trace } from "@opentelemetry/api";
import type { ReadableSpan, Span, SpanProcessor } from "@opentelemetry/sdk-trace-base";
import { currentTelemetry } from "./telemetry-handle";

/**
 * The context key holding the name of the service a piece of work belongs to. In the
 * embedded mode four services share one process and so one OpenTelemetry resource; this
 * key, set per call by the server pipeline, is how each span still names its service.
 */
export const SERVICE_NAME_KEY = createContextKey("shop.service");

/** The span attribute carrying the service name in the embedded mode. */
export const SERVICE_NAME_ATTRIBUTE = "shop.service";

/**
 * Runs `fn` as work of `service`: every span started inside it carries
 * `shop.service=<service>` when telemetry runs in embedded mode, and so does the span
 * active now (the server span of the call being handled, which the instrumentation
 * started before any service code ran). Outside the embedded mode the resource already
 * names the service and only the context is set.
 */
export function withServiceName<T>(service: string, fn: () => T): T {
  if (currentTelemetry()?.embedded) {
    trace.getActiveSpan()?.setAttribute(SERVICE_NAME_ATTRIBUTE, service);
  }
  return context.with(context.active().setValue(SERVICE_NAME_KEY, service), fn);
}

/** The service name set by the nearest enclosing `withServiceName`, if any. */
export function serviceNameFrom(ctx: Context): string | undefined {
  const value = ctx.getValue(SERVICE_NAME_KEY);
  return typeof value === "string" ? value : undefined;
}

/** The span processor of the embedded mode: copies the context's service name onto each span. */
export function createServiceNameProcessor(): SpanProcessor {
  return {
    onStart(span: Span, parentContext: Context) {
      const service = serviceNameFrom(parentContext);
      if (service !== undefined) span.setAttribute(SERVICE_NAME_ATTRIBUTE, service);
    },
    onEnd(_span: ReadableSpan) {},
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
}

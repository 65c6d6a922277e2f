import { trace } from "@opentelemetry/api";
import pino, { type DestinationStream, type Logger, type LoggerOptions } from "pino";
import { redact, redactString } from "./redact";

export type { Logger } from "pino";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerConfig {
  /** The fixed service name, e.g. "order-service": the `service` field of every line. */
  service: string;
  level?: LogLevel;
  /** Where lines go; stdout by default. Tests pass a stream to read them back. */
  destination?: DestinationStream;
}

/** Fields that lead every line, in this order, after timestamp and service. */
const LEADING = ["level", "traceId", "spanId", "message"] as const;

/**
 * One JSON line per event, shaped
 * `{"timestamp":"<ISO>","service":"order-service","level":"info","traceId":"...","message":"Order created",...}`.
 * Inside an OpenTelemetry span, traceId and spanId come from it. Fields are redacted
 * (see redact.ts), and so is the message. One logger per service instance, never a
 * module-level one: the embedded mode runs four services in one process.
 */
export function createLogger(config: LoggerConfig): Logger {
  const options: LoggerOptions = {
    level: config.level ?? "info",
    base: { service: config.service },
    messageKey: "message",
    // Level and time are written by the mixin and the timestamp below, so that the
    // line starts with timestamp and service, as the log format requires.
    formatters: { level: () => ({}) },
    timestamp: () => `"timestamp":"${new Date().toISOString()}"`,
    mixin(_obj, levelNumber, logger) {
      const span = trace.getActiveSpan()?.spanContext();
      return {
        level: (logger as Logger).levels.labels[levelNumber] ?? String(levelNumber),
        ...(span ? { traceId: span.traceId, spanId: span.spanId } : {}),
      };
    },
    hooks: {
      // Moves the message into the object so formatters.log can place it before the
      // other fields, and so it is redacted like them.
      logMethod(args, method) {
        const [first, ...rest] = args as unknown[];
        if (typeof first === "string") {
          method.call(this, { message: redactString(format(first, rest)) } as never);
        } else if (first instanceof Error) {
          const message =
            typeof rest[0] === "string" ? format(rest[0], rest.slice(1)) : first.message;
          method.call(this, { err: first, message: redactString(message) } as never);
        } else if (typeof rest[0] === "string") {
          const message = redactString(format(rest[0], rest.slice(1)));
          method.call(this, { ...(first as object), message } as never);
        } else {
          method.apply(this, args);
        }
      },
    },
  };
  // The mixin runs after formatters.log in pino, so ordering happens in a wrapper of
  // the merge strategy: mixin fields first, then the redacted fields of the call.
  options.mixinMergeStrategy = (mergeObject, mixinObject) => {
    const merged: Record<string, unknown> = { ...mixinObject };
    const fields = redact(mergeObject) as Record<string, unknown>;
    for (const key of LEADING) if (key in fields) merged[key] = fields[key];
    for (const [key, value] of Object.entries(fields)) if (!(key in merged)) merged[key] = value;
    return merged;
  };
  // pino's type for the timestamp function expects a leading comma; the level
  // formatter returns nothing, so the line opens with `{` and timestamp comes first.
  return config.destination ? pino(options, config.destination) : pino(options);
}

function format(message: string, args: unknown[]): string {
  if (args.length === 0) return message;
  let i = 0;
  return message.replace(/%[sdjo]/g, () => (i < args.length ? String(args[i++]) : ""));
}

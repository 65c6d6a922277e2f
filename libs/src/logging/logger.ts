import { trace } from "@opentelemetry/api";
import pino, {
  type Bindings,
  type ChildLoggerOptions,
  type DestinationStream,
  type Logger,
  type LoggerOptions,
} from "pino";
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

/** Fields that follow level, in this order; the call's fields, else the bindings, supply them. */
const LEADING = ["traceId", "spanId", "message"] as const;
/** Keys the line writes itself: a field or binding of the same name is dropped, never doubled. */
const RESERVED = new Set(["timestamp", "service", "level"]);
/** A child's bindings, kept here instead of pino's line prefix (see `child` below). */
const BINDINGS = Symbol("shop.log.bindings");

type Fields = Record<string, unknown>;
type WithBindings = Logger & { [BINDINGS]?: Fields };

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
        [BINDINGS]: (logger as WithBindings)[BINDINGS],
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
  // the merge strategy: level (and the span's ids), the leading fields, the bindings,
  // then the redacted fields of the call, which win over bindings of the same name.
  options.mixinMergeStrategy = (mergeObject, mixinObject) => {
    const { [BINDINGS]: bindings = {}, ...merged } = mixinObject as Fields & {
      [BINDINGS]?: Fields;
    };
    const fields = redact(mergeObject) as Fields;
    for (const key of LEADING) {
      if (key in fields) merged[key] = fields[key];
      else if (key in bindings && !(key in merged)) merged[key] = bindings[key];
    }
    const placed = new Set(Object.keys(merged));
    for (const source of [bindings, fields]) {
      for (const [key, value] of Object.entries(source)) {
        if (!RESERVED.has(key) && !placed.has(key)) merged[key] = value;
      }
    }
    return merged;
  };
  // pino's type for the timestamp function expects a leading comma; the level
  // formatter returns nothing, so the line opens with `{` and timestamp comes first.
  const logger: WithBindings = config.destination
    ? pino(options, config.destination)
    : pino(options);

  // pino writes child bindings right after the base fields (before level) and never
  // passes them through the merge strategy, so they would be neither placed nor
  // redacted. Children made here keep their bindings, redacted once, for the mixin.
  // Children inherit these methods from the root through pino's prototype chain.
  const pinoChild = logger.child;
  const pinoBindings = logger.bindings;
  function child(
    this: WithBindings,
    bindings: Bindings,
    childOptions?: ChildLoggerOptions,
  ): Logger {
    const created: WithBindings = Reflect.apply(pinoChild, this, [{}, childOptions]);
    created[BINDINGS] = { ...this[BINDINGS], ...(redact(bindings) as Fields) };
    return created;
  }
  // Same behaviour as pino's generic signature; only the `this` typing differs.
  logger.child = child as unknown as Logger["child"];
  logger.bindings = function bindings(this: WithBindings) {
    return { ...pinoBindings.call(this), ...this[BINDINGS] };
  };
  logger.setBindings = function setBindings(this: WithBindings, bindings) {
    this[BINDINGS] = { ...this[BINDINGS], ...(redact(bindings) as Fields) };
  };
  return logger;
}

/** printf-style %s, %d, %j/%o/%O (as redacted JSON) and %%, like pino's own formatting. */
function format(message: string, args: unknown[]): string {
  if (args.length === 0) return message;
  let i = 0;
  return message.replace(/%[sdjoO%]/g, (token) => {
    if (token === "%%") return "%";
    if (i >= args.length) return token;
    const arg = args[i++];
    if (token === "%s") return String(arg);
    if (token === "%d") return String(Number(arg));
    // Key-based redaction must apply before the object becomes part of a string.
    return JSON.stringify(redact(arg), (_key, value) =>
      typeof value === "bigint" ? value.toString() : value,
    );
  });
}

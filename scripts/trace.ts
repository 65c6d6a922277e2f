/**
 * `npm run trace -- [trace id | request id] [--logs]`: prints the span tree of a request
 * from the span file `npm run dev` writes (.dev/spans.jsonl), so a newcomer can read a
 * trace without installing a collector. No argument: the most recent request through
 * the gateway. A request id (the `x-request-id` every gateway response carries) is
 * looked up in the log file `npm run dev` writes (.dev/logs.jsonl): every log line
 * carries both the requestId and the traceId. `--logs` adds the trace's log lines.
 * With OTEL_EXPORTER_OTLP_ENDPOINT set, the same spans also go to a collector.
 *
 * SHOP_SPAN_FILE and SHOP_LOG_FILE point it at other files (the end-to-end tests do).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { SpanRecord } from "@shop/libs/telemetry";

const DEV_DIR = join(__dirname, "..", ".dev");
const TRACE_ID = /^[0-9a-f]{32}$/i;

type LogRecord = Record<string, unknown>;

/** The JSON lines of `file` (unparsable lines skipped); [] when it does not exist. */
export function readJsonLines<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as T];
      } catch {
        return [];
      }
    });
}

/**
 * The trace a search names: a trace id; or a request id, found among span attributes
 * or in the log lines (`requestId` next to `traceId`); or, with no search, the most
 * recent request that entered the mesh (the latest root server span).
 */
export function findTraceId(
  spans: readonly SpanRecord[],
  search: string | undefined,
  logs: readonly LogRecord[] = [],
): string | undefined {
  if (search === undefined) {
    const roots = spans.filter((s) => s.parentSpanId === undefined && s.kind === "SERVER");
    return roots.sort((a, b) => a.end.localeCompare(b.end)).at(-1)?.traceId;
  }
  if (TRACE_ID.test(search)) return search.toLowerCase();
  const fromSpan = spans.find((s) => Object.values(s.attributes).some((v) => v === search));
  if (fromSpan) return fromSpan.traceId;
  const line = logs.find((l) => l.requestId === search && typeof l.traceId === "string");
  return line?.traceId as string | undefined;
}

/** What a span did, in a few words: HTTP server spans get their method, path and status. */
function describe(span: SpanRecord): string {
  const a = span.attributes;
  const method = a["http.request.method"] ?? a["http.method"];
  const path = a["http.route"] ?? a["url.path"] ?? a["http.target"];
  if (span.kind === "SERVER" && method !== undefined && path !== undefined) {
    const status = a["http.response.status_code"] ?? a["http.status_code"];
    return `${String(method)} ${String(path)}${status !== undefined ? ` -> ${String(status)}` : ""}`;
  }
  return span.name;
}

/** The spans of one trace as an indented tree, children in start order. */
export function renderTrace(spans: readonly SpanRecord[], traceId: string): string {
  const own = spans.filter((s) => s.traceId === traceId);
  const ids = new Set(own.map((s) => s.spanId));
  const children = new Map<string | undefined, SpanRecord[]>();
  for (const span of own) {
    const parent = span.parentSpanId && ids.has(span.parentSpanId) ? span.parentSpanId : undefined;
    children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  for (const list of children.values()) list.sort((a, b) => a.start.localeCompare(b.start));
  const services = [...new Set(own.map((s) => s.service))].sort();
  const lines = [`trace ${traceId}: ${own.length} spans in ${services.join(", ")}`];
  const walk = (parent: string | undefined, indent: string) => {
    const list = children.get(parent) ?? [];
    list.forEach((span, i) => {
      const last = i === list.length - 1;
      const error = span.status.code === "ERROR" ? `  ERROR ${span.status.message ?? ""}` : "";
      lines.push(
        `${indent}${last ? "└─" : "├─"} ${span.service.padEnd(15)} ${span.kind.padEnd(8)} ${describe(span)}  ${span.durationMs.toFixed(1)} ms${error}`,
      );
      walk(span.spanId, `${indent}${last ? "   " : "│  "}`);
    });
  };
  walk(undefined, "");
  return lines.join("\n");
}

/** The log lines of one trace, one short line each, in time order. */
export function renderTraceLogs(logs: readonly LogRecord[], traceId: string): string {
  const own = logs
    .filter((l) => l.traceId === traceId)
    .sort((a, b) => String(a.timestamp).localeCompare(String(b.timestamp)));
  return [
    `logs of trace ${traceId}: ${own.length} lines`,
    ...own.map((l) => {
      const what = l.rpc ?? l.route;
      return `${String(l.timestamp ?? "").slice(11, 23)} ${String(l.service ?? "").padEnd(15)} ${String(l.level ?? "").padEnd(5)} ${String(l.message ?? "")}${what !== undefined ? `  ${String(what)}` : ""}`;
    }),
  ].join("\n");
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { logs: { type: "boolean", default: false } },
  });
  const spanFile = process.env.SHOP_SPAN_FILE ?? join(DEV_DIR, "spans.jsonl");
  const logFile = process.env.SHOP_LOG_FILE ?? join(DEV_DIR, "logs.jsonl");
  const search = positionals[0];
  if (!existsSync(spanFile)) {
    console.error(
      `no span file at ${spanFile}: start the mesh with \`npm run dev\` and send a request`,
    );
    process.exit(1);
  }
  const spans = readJsonLines<SpanRecord>(spanFile);
  const logs = readJsonLines<LogRecord>(logFile);
  const traceId = findTraceId(spans, search, logs);
  if (!traceId || !spans.some((s) => s.traceId === traceId)) {
    console.error(
      `no trace found for ${search ?? "the latest request"} in ${spanFile}` +
        (search && !TRACE_ID.test(search) ? ` or ${logFile}` : ""),
    );
    process.exit(1);
  }
  if (search && !TRACE_ID.test(search)) console.log(`request ${search}`);
  console.log(renderTrace(spans, traceId));
  if (values.logs) console.log(`\n${renderTraceLogs(logs, traceId)}`);
}

if (require.main === module) main();

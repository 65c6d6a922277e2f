/**
 * `npm run trace -- [trace id | request id]`: prints the span tree of a request from
 * the span file `npm run dev` writes (.dev/spans.jsonl), so a newcomer can read a trace
 * without installing a collector. No argument: the most recent request through the
 * gateway. With OTEL_EXPORTER_OTLP_ENDPOINT set, the same spans also go to a collector.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { SpanRecord } from "@shop/libs/telemetry";

const SPAN_FILE = process.env.SHOP_SPAN_FILE ?? join(__dirname, "..", ".dev", "spans.jsonl");

function readSpans(file: string): SpanRecord[] {
  if (!existsSync(file)) {
    throw new Error(
      `no span file at ${file}: start the mesh with \`npm run dev\` and send a request`,
    );
  }
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as SpanRecord];
      } catch {
        return [];
      }
    });
}

/** The trace a search names: a trace id, or a request id found among span attributes. */
export function findTraceId(
  spans: readonly SpanRecord[],
  search: string | undefined,
): string | undefined {
  if (search === undefined) {
    const roots = spans.filter((s) => s.parentSpanId === undefined && s.kind === "SERVER");
    return roots.sort((a, b) => a.end.localeCompare(b.end)).at(-1)?.traceId;
  }
  if (/^[0-9a-f]{32}$/i.test(search)) return search.toLowerCase();
  return spans.find((s) => Object.values(s.attributes).some((v) => v === search))?.traceId;
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
  const lines = [`trace ${traceId}: ${own.length} spans`];
  const walk = (parent: string | undefined, indent: string) => {
    const list = children.get(parent) ?? [];
    list.forEach((span, i) => {
      const last = i === list.length - 1;
      const error = span.status.code === "ERROR" ? `  ERROR ${span.status.message ?? ""}` : "";
      lines.push(
        `${indent}${last ? "└─" : "├─"} ${span.service.padEnd(15)} ${span.kind.padEnd(8)} ${span.name}  ${span.durationMs.toFixed(1)} ms${error}`,
      );
      walk(span.spanId, `${indent}${last ? "   " : "│  "}`);
    });
  };
  walk(undefined, "");
  return lines.join("\n");
}

function main(): void {
  const search = process.argv[2];
  const spans = readSpans(SPAN_FILE);
  const traceId = findTraceId(spans, search);
  if (!traceId || !spans.some((s) => s.traceId === traceId)) {
    console.error(`no trace found for ${search ?? "the latest request"} in ${SPAN_FILE}`);
    process.exit(1);
  }
  console.log(renderTrace(spans, traceId));
}

if (require.main === module) main();

import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { dirname } from "node:path";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import {
  type ExportResult,
  ExportResultCode,
  hrTimeToMilliseconds,
  hrTimeToTimeStamp,
} from "@opentelemetry/core";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";
import { SERVICE_NAME_ATTRIBUTE } from "./service-name";

/** One line of the span file. */
export interface SpanRecord {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** "SERVER", "CLIENT", "INTERNAL", "PRODUCER" or "CONSUMER". */
  kind: string;
  /** ISO-8601 with nanoseconds, as OpenTelemetry records them. */
  start: string;
  end: string;
  durationMs: number;
  attributes: Record<string, unknown>;
  status: { code: "UNSET" | "OK" | "ERROR"; message?: string };
  /** `shop.service` in the embedded mode, else the resource's service.name. */
  service: string;
}

/** Converts a finished span to the line written to the span file. */
export function spanRecordFromSpan(span: ReadableSpan): SpanRecord {
  const { traceId, spanId } = span.spanContext();
  const embeddedService = span.attributes[SERVICE_NAME_ATTRIBUTE];
  return {
    traceId,
    spanId,
    ...(span.parentSpanContext ? { parentSpanId: span.parentSpanContext.spanId } : {}),
    name: span.name,
    kind: SpanKind[span.kind],
    start: hrTimeToTimeStamp(span.startTime),
    end: hrTimeToTimeStamp(span.endTime),
    durationMs: hrTimeToMilliseconds(span.duration),
    attributes: { ...span.attributes },
    status: {
      code: SpanStatusCode[span.status.code] as SpanRecord["status"]["code"],
      ...(span.status.message ? { message: span.status.message } : {}),
    },
    service: String(embeddedService ?? span.resource.attributes["service.name"] ?? "unknown"),
  };
}

/**
 * Writes finished spans as JSON lines to a file, appending: `npm run dev` sets it so a
 * newcomer can read a trace (`grep <traceId> spans.jsonl`) without running a collector.
 * The file is opened on the first span, so a process that never traces creates nothing.
 */
export function createSpanFileExporter(path: string): SpanExporter {
  let stream: WriteStream | undefined;
  let failed: Error | undefined;

  function open(): WriteStream {
    if (!stream) {
      mkdirSync(dirname(path), { recursive: true });
      stream = createWriteStream(path, { flags: "a" });
      stream.on("error", (error) => {
        failed = error;
      });
    }
    return stream;
  }

  /** Resolves once everything written before has reached the file. */
  function drained(): Promise<void> {
    return new Promise((resolve) => {
      if (!stream || failed) resolve();
      else stream.write("", () => resolve());
    });
  }

  return {
    export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void) {
      if (failed) return resultCallback({ code: ExportResultCode.FAILED, error: failed });
      const text = spans.map((span) => `${JSON.stringify(spanRecordFromSpan(span))}\n`).join("");
      open().write(text, (error) =>
        resultCallback(
          error ? { code: ExportResultCode.FAILED, error } : { code: ExportResultCode.SUCCESS },
        ),
      );
    },
    forceFlush: drained,
    async shutdown() {
      const current = stream;
      if (!current) return;
      stream = undefined;
      await new Promise<void>((resolve) => current.end(() => resolve()));
    },
  };
}

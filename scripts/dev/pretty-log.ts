/**
 * The two faces of a process's output under the dev supervisor:
 * - for a person, one JSON log line as
 *   `12:00:01.123 order-service  INFO  Order created  orderId=123 traceId=4bf9…`;
 * - for a pipe, CI or the log file, JSON lines only: a line that is not JSON (a stack
 *   trace, a tool's own output) is wrapped into one, named after its process.
 */
const COLORS = ["\x1b[36m", "\x1b[35m", "\x1b[33m", "\x1b[32m", "\x1b[34m"];
const LEVEL_COLORS: Record<string, string> = {
  fatal: "\x1b[41m",
  error: "\x1b[31m",
  warn: "\x1b[33m",
  info: "\x1b[32m",
  debug: "\x1b[90m",
  trace: "\x1b[90m",
};
const RESET = "\x1b[0m";
const DIM = "\x1b[2m";
const LOUD = "\x1b[1;97;41m";
const HIDDEN = new Set(["timestamp", "service", "level", "message", "spanId"]);

function colorOf(name: string): string {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return COLORS[hash % COLORS.length]!;
}

function formatValue(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function parseRecord(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const record: unknown = JSON.parse(line);
    return typeof record === "object" && record !== null && !Array.isArray(record)
      ? (record as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A line for a terminal. The prefix is the record's own `service` field when it has one
 * (in the embedded mode one process writes the lines of all four services), else the
 * name of the process that wrote it.
 */
export function formatLogLine(name: string, line: string): string {
  const record = parseRecord(line);
  if (!record) return `${colorOf(name)}${name.padEnd(15)}${RESET} ${line}`;
  const service = typeof record.service === "string" ? record.service : name;
  const prefix = `${colorOf(service)}${service.padEnd(15)}${RESET}`;
  const time = typeof record.timestamp === "string" ? record.timestamp.slice(11, 23) : "";
  const level = String(record.level ?? "info");
  const fields = Object.entries(record)
    .filter(([key]) => !HIDDEN.has(key))
    .map(([key, value]) => `${key}=${formatValue(value)}`)
    .join(" ");
  return `${DIM}${time}${RESET} ${prefix} ${LEVEL_COLORS[level] ?? ""}${level.toUpperCase().padEnd(5)}${RESET} ${String(record.message ?? "")}${fields ? `  ${DIM}${fields}${RESET}` : ""}`;
}

/**
 * The line as one JSON log record: JSON lines unchanged, anything else wrapped with the
 * process's name as `service`, the stream it came on as `stream`, and level error when
 * that was stderr.
 */
export function jsonLogLine(name: string, line: string, stream: "stdout" | "stderr"): string {
  if (parseRecord(line)) return line;
  return JSON.stringify({
    timestamp: new Date().toISOString(),
    service: name,
    level: stream === "stderr" ? "error" : "info",
    message: line,
    // Marks a wrapped line: the process's own log lines never have this field.
    stream,
  });
}

/** A supervisor event (a crash, a restart) for a terminal: hard to miss. */
export function formatSupervisorEvent(level: "info" | "error", message: string): string {
  return level === "error" ? `\n${LOUD} !! ${message} ${RESET}\n` : `${DIM}dev:${RESET} ${message}`;
}

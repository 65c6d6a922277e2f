/**
 * One JSON log line as a person reads it on a terminal:
 * `12:00:01.123 order-service  INFO  Order created  orderId=123 traceId=4bf9…`.
 * Lines that are not JSON (a stack trace, a tool's own output) pass through prefixed.
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
const HIDDEN = new Set(["timestamp", "service", "level", "message", "spanId"]);

function colorOf(name: string): string {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return COLORS[hash % COLORS.length]!;
}

function formatValue(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

export function formatLogLine(name: string, line: string): string {
  const prefix = `${colorOf(name)}${name.padEnd(15)}${RESET}`;
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
    if (typeof record !== "object" || record === null) throw new Error("not a record");
  } catch {
    return `${prefix} ${line}`;
  }
  const time = typeof record.timestamp === "string" ? record.timestamp.slice(11, 23) : "";
  const level = String(record.level ?? "info");
  const fields = Object.entries(record)
    .filter(([key]) => !HIDDEN.has(key))
    .map(([key, value]) => `${key}=${formatValue(value)}`)
    .join(" ");
  return `${DIM}${time}${RESET} ${prefix} ${LEVEL_COLORS[level] ?? ""}${level.toUpperCase().padEnd(5)}${RESET} ${String(record.message ?? "")}${fields ? `  ${DIM}${fields}${RESET}` : ""}`;
}

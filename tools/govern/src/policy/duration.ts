/**
 * Durations as policies write them: `250ms`, `2s`, `1.5s`, `1m`, `1h` (one number, one
 * unit). Istio accepts Go durations; policies use this strict subset so that a value
 * parses the same in the schema, the runtime config (milliseconds) and Istio.
 */
export const DURATION_PATTERN = "^(0|[1-9][0-9]*)(\\.[0-9]+)?(ms|s|m|h)$";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const DURATION = new RegExp(DURATION_PATTERN);

/** Milliseconds in `text`, or undefined when it is not a policy duration. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match) return undefined;
  const ms = Number(`${match[1]}${match[2] ?? ""}`) * UNIT_MS[match[3]!]!;
  // Sub-millisecond precision cannot be expressed in the runtime config.
  return Number.isInteger(ms) ? ms : undefined;
}

/** Milliseconds in `text`; throws on a value the schema should have refused. */
export function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new Error(`not a duration: "${text}"`);
  return ms;
}

/** Formats milliseconds in the largest unit that keeps a whole number: 5m, 30s, 250ms. */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  for (const unit of ["h", "m", "s"] as const)
    if (ms % UNIT_MS[unit]! === 0) return `${ms / UNIT_MS[unit]!}${unit}`;
  return `${ms}ms`;
}

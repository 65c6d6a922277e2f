/** Reading Redis stream replies as ioredis returns them (with `callBuffer`). */

/** The one field of every entry: the binary EventEnvelope. */
export const ENVELOPE_FIELD = "envelope";

/** An entry as Redis sends it: its id and its field/value list (nil once deleted). */
export type RawEntry = [id: Buffer, fields: Buffer[] | null];

/**
 * The entries of an XREAD / XREADGROUP reply for one stream. RESP2 nests them as
 * `[[key, entries]]`; RESP3 (ioredis 6's default) answers a map, which ioredis gives
 * as `[key, entries]` in its legacy mapping or `{ key: entries }` in the resp3 one.
 */
export function entriesOf(reply: unknown): RawEntry[] {
  if (reply === null || typeof reply !== "object") return [];
  if (!Array.isArray(reply)) return (Object.values(reply)[0] ?? []) as RawEntry[];
  const pair = Buffer.isBuffer(reply[0]) ? reply : reply[0];
  return (Array.isArray(pair) ? (pair[1] ?? []) : []) as RawEntry[];
}

export function envelopeOf(fields: Buffer[] | null): Uint8Array | undefined {
  if (!fields) return undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i]!.toString() === ENVELOPE_FIELD) return new Uint8Array(fields[i + 1]!);
  }
  return undefined;
}

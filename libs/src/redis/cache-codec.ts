/**
 * JSON for cached values, extended with the two types our messages carry that JSON
 * lacks: bigint (int64 fields, e.g. prices in minor units) as `{"$bigint":"123"}` and
 * Date (Timestamps) as `{"$date":"<ISO>"}`. An object of one of those shapes in the
 * data itself would be read back as the tagged type; none of our messages has such a
 * field. Both cache implementations store the encoded text, so a caller that mutates
 * what it got back never alters the cache, and both behave the same.
 */
export function encodeCacheValue(value: unknown): string {
  return JSON.stringify(value, function replacer(this: Record<string, unknown>, key, raw) {
    if (typeof raw === "bigint") return { $bigint: raw.toString() };
    // Date.prototype.toJSON has already turned the Date into a string; the holder still
    // has the original.
    const original = this[key];
    if (original instanceof Date) {
      // An invalid Date becomes null, as plain JSON.stringify does.
      return Number.isNaN(original.getTime()) ? null : { $date: original.toISOString() };
    }
    return raw;
  });
}

export function decodeCacheValue<T>(text: string): T {
  return JSON.parse(text, (_key, value: unknown) => {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
    const keys = Object.keys(value);
    if (keys.length !== 1) return value;
    const tagged = value as { $bigint?: unknown; $date?: unknown };
    if (typeof tagged.$bigint === "string") return BigInt(tagged.$bigint);
    if (typeof tagged.$date === "string") return new Date(tagged.$date);
    return value;
  }) as T;
}

/**
 * Redaction of secrets and personal data in log fields. Keys that name a secret lose
 * their value entirely; email addresses are masked wherever they appear, and anything
 * shaped like a JWT or a card number is replaced, so a value logged under an innocent
 * key still cannot leak.
 */

const SECRET_KEY =
  /pass(word|wd|phrase)?|secret|token|authorization|cookie|api[-_]?key|private[-_]?key|hash|card|cvv|cvc|pan$|iban|kek/i;
const EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const CARD = /\b(?:\d[ -]?){13,19}\b/g;

export const REDACTED = "[redacted]";
const MAX_DEPTH = 8;

/** Masks `alice@example.com` as `a***@example.com` and strips tokens and card numbers. */
export function redactString(value: string): string {
  return value
    .replace(JWT, "[jwt]")
    .replace(CARD, (match) => (match.replace(/\D/g, "").length >= 13 ? "[card]" : match))
    .replace(EMAIL, "$1***@$2");
}

/** A deep copy of `value` with secrets removed; the input is never modified. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return redactString(value);
  if (value === null || typeof value !== "object") return value;
  if (depth >= MAX_DEPTH) return "[depth]";
  if (value instanceof Error) return value;
  if (value instanceof Date) return value;
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `[${value.length} bytes]`;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] =
      SECRET_KEY.test(key) && v !== undefined && v !== null ? REDACTED : redact(v, depth + 1);
  }
  return out;
}

/**
 * Redaction of secrets and personal data in log fields. Keys that name a secret lose
 * their value entirely; email addresses are masked wherever they appear, and anything
 * shaped like a JWT or a card number is replaced, so a value logged under an innocent
 * key still cannot leak. Card numbers are 13-19 digits that pass the Luhn check.
 */

const SECRET_KEY =
  /pass(word|wd|phrase)?|secret|token|authorization|cookie|api[-_]?key|private[-_]?key|hash|card|cvv|cvc|^pan$|iban|kek/i;
const EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
// 13 to 19 digits, optionally grouped by spaces or dashes, ending on a digit.
const CARD = /\b\d(?:[ -]?\d){12,18}\b/g;

export const REDACTED = "[redacted]";
const MAX_DEPTH = 8;

/** Masks `alice@example.com` as `a***@example.com` and strips tokens and card numbers. */
export function redactString(value: string): string {
  return value
    .replace(JWT, "[jwt]")
    .replace(CARD, (match) => (passesLuhn(match.replace(/\D/g, "")) ? "[card]" : match))
    .replace(EMAIL, "$1***@$2");
}

/** A deep copy of `value` with secrets removed; the input is never modified. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return redactString(value);
  if (value === null || typeof value !== "object") return value;
  if (depth >= MAX_DEPTH) return "[depth]";
  if (value instanceof Error) return redactError(value, depth);
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

/**
 * A copy of the error, of the same class, with its message, stack, cause and fields
 * redacted: messages like "duplicate key (email)=(alice@example.com)" are common.
 */
function redactError(error: Error, depth: number): Error {
  const copy = Object.create(Object.getPrototypeOf(error)) as Error;
  Object.assign(copy, redact({ ...error }, depth));
  const hidden = (value: unknown) => ({ value, writable: true, configurable: true });
  Object.defineProperty(copy, "message", hidden(redactString(error.message)));
  if (error.stack !== undefined) {
    Object.defineProperty(copy, "stack", hidden(redactString(error.stack)));
  }
  if (error.cause !== undefined) {
    Object.defineProperty(copy, "cause", hidden(redact(error.cause, depth + 1)));
  }
  return copy;
}

/**
 * The check digit every payment card number carries: long numbers that fail it
 * (millisecond timestamps, int64 ids) are not card numbers and stay readable.
 */
function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
  }
  return sum % 10 === 0;
}

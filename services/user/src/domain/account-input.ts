/**
 * The rules for what a client may send as an email address, a password and a display
 * name, from the contract's field comments (proto/shop/user/v1/user.proto). Each check
 * returns field violations naming the proto field, so a handler can report every bad
 * field of a request at once.
 */
import type { FieldViolation } from "@shop/libs/errors";
import { isCommonPassword } from "./common-passwords";

export const EMAIL_MAX_LENGTH = 254;
export const NAME_MAX_LENGTH = 100;
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;
/** Login and DeleteMe take any password up to this size; longer is not worth hashing. */
export const PASSWORD_INPUT_MAX_LENGTH = 1024;

// C0 and C1 control characters, DEL and NUL included: nothing a person types into a form.
const CONTROL = /\p{Cc}/u;
// RFC 5322 dot-atom: the practical subset every mail system accepts (no quoted strings).
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
// A top-level domain is letters, or an IDN's punycode form.
const TOP_LEVEL = /^([A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})$/;

/** Code points, not UTF-16 units: an emoji counts as one character. */
export function characterCount(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

/** A violation when `value` holds a control character or NUL. */
export function controlCharacterViolation(field: string, value: string): FieldViolation[] {
  return CONTROL.test(value) ? [{ field, description: "must not contain control characters" }] : [];
}

/**
 * The normalised address (trimmed, domain lower-cased, as the contract says) or the
 * violations. The local part keeps its case; accounts still compare case-insensitively
 * (see emailLookupKey).
 */
export function normaliseEmail(
  raw: string,
  field = "email",
): { email: string; violations: [] } | { email?: undefined; violations: FieldViolation[] } {
  const bad = (description: string) => ({ violations: [{ field, description }] });
  // Checked before trimming: a stray newline or NUL is refused, not silently dropped.
  if (CONTROL.test(raw)) return bad("must not contain control characters");
  const text = raw.trim();
  if (text === "") return bad("is required");
  if (text.length > EMAIL_MAX_LENGTH) return bad(`must be at most ${EMAIL_MAX_LENGTH} characters`);
  const at = text.lastIndexOf("@");
  const local = text.slice(0, at);
  const domain = text.slice(at + 1);
  const labels = domain.split(".");
  const valid =
    at > 0 &&
    local.length <= 64 &&
    LOCAL_PART.test(local) &&
    labels.length >= 2 &&
    labels.every((label) => DOMAIN_LABEL.test(label)) &&
    TOP_LEVEL.test(labels[labels.length - 1]!);
  if (!valid) return bad("must be an email address like name@example.com");
  return { email: `${local}@${domain.toLowerCase()}`, violations: [] };
}

/** What identifies an account: the address compared without regard to case. */
export function emailLookupKey(normalisedEmail: string): string {
  return normalisedEmail.toLowerCase();
}

/** The password as it is hashed: NFC, so the same characters typed anywhere match. */
export function passwordForHashing(password: string): string {
  return password.normalize("NFC");
}

/** The policy for a new password: length, no control characters, not a common one. */
export function passwordViolations(
  password: string,
  email: string | undefined,
  field = "password",
): FieldViolation[] {
  const bad = (description: string) => [{ field, description }];
  if (password === "") return bad("is required");
  const length = characterCount(password);
  if (length < PASSWORD_MIN_LENGTH) {
    return bad(`must be at least ${PASSWORD_MIN_LENGTH} characters`);
  }
  if (length > PASSWORD_MAX_LENGTH) {
    return bad(`must be at most ${PASSWORD_MAX_LENGTH} characters`);
  }
  const control = controlCharacterViolation(field, password);
  if (control.length > 0) return control;
  if (isCommonPassword(password)) return bad("is too common; choose another");
  const lowered = password.toLowerCase();
  if (
    email &&
    (lowered === email.toLowerCase() || lowered === email.split("@")[0]!.toLowerCase())
  ) {
    return bad("must not be the email address");
  }
  return [];
}

/** A password presented to sign in or confirm: present, bounded, no control characters. */
export function presentedPasswordViolations(
  password: string,
  field = "password",
): FieldViolation[] {
  if (password === "") return [{ field, description: "is required" }];
  if (password.length > PASSWORD_INPUT_MAX_LENGTH) {
    return [{ field, description: `must be at most ${PASSWORD_INPUT_MAX_LENGTH} characters` }];
  }
  return controlCharacterViolation(field, password);
}

/** The display name, trimmed and NFC-normalised, or the violations. */
export function normaliseName(
  raw: string,
  field = "name",
): { name: string; violations: FieldViolation[] } {
  const name = raw.trim().normalize("NFC");
  const control = controlCharacterViolation(field, raw);
  if (control.length > 0) return { name, violations: control };
  if (characterCount(name) > NAME_MAX_LENGTH) {
    return {
      name,
      violations: [{ field, description: `must be at most ${NAME_MAX_LENGTH} characters` }],
    };
  }
  return { name, violations: [] };
}

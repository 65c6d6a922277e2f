/**
 * A memo of tokens that verified. The same bytes verify the same way until they expire,
 * and a caller presents one token on every call (a service its service token, a user
 * the access token of the session), so the signature check runs once per token instead
 * of once per call: Envoy's jwt_authn does the same (`jwt_cache_config`).
 *
 * Only successes are kept, each until the token's `exp` and for at most `maxAgeMs`: a
 * key withdrawn from the JWKS stops verifying new tokens at once and tokens already
 * seen within that time. The memo holds at most `maxEntries` tokens, dropping the
 * oldest first.
 */

export interface VerifiedTokensOptions {
  /** Default 10,000. */
  maxEntries?: number;
  /** Default 60 s. */
  maxAgeMs?: number;
  /** The clock; tests pass their own. */
  now?: () => number;
}

export interface VerifiedTokens<T> {
  /** What `token` verified as, when it did so less than maxAgeMs ago and has not expired. */
  get(token: string): T | undefined;
  /** Records that `token`, expiring at `expSec` (seconds since the epoch), verified as `value`. */
  set(token: string, value: T, expSec: number): void;
  readonly size: number;
}

export function createVerifiedTokens<T>(options: VerifiedTokensOptions = {}): VerifiedTokens<T> {
  const maxEntries = options.maxEntries ?? 10_000;
  const maxAgeMs = options.maxAgeMs ?? 60_000;
  const now = options.now ?? Date.now;
  const entries = new Map<string, { value: T; until: number }>();

  return {
    get(token) {
      const entry = entries.get(token);
      if (!entry) return undefined;
      if (now() < entry.until) return entry.value;
      entries.delete(token);
      return undefined;
    },
    set(token, value, expSec) {
      const until = Math.min(expSec * 1000, now() + maxAgeMs);
      if (maxEntries <= 0 || until <= now()) return;
      entries.delete(token);
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      entries.set(token, { value, until });
    },
    get size() {
      return entries.size;
    },
  };
}

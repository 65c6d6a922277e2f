import { ServiceError } from "../errors";

export interface ThrottleState {
  blocked: boolean;
  /** While blocked, milliseconds until the lockout ends; else 0. */
  retryAfterMs: number;
}

export interface AttemptThrottleRules {
  /** Failures that trigger a lockout... */
  maxFailures: number;
  /** ...when they happen within this many milliseconds of the first one. */
  windowMs: number;
  /** How long a key stays blocked. */
  lockoutMs: number;
  /** How long a reserved place lives if never settled (default ATTEMPT_PLACE_TTL_MS). */
  placeTtlMs?: number;
}

/**
 * Throttles repeated failures per key (login: per account and per client address).
 * Implementations: createRedisAttemptThrottle (shared by replicas) and
 * createMemoryAttemptThrottle. Failures count in a window that opens at the first one;
 * reaching `maxFailures` blocks the key for `lockoutMs` and clears the count. Failures
 * while blocked are not counted and do not extend the lockout.
 *
 * An attempt takes its place before the costly check (`reserve`) and settles it after
 * (`recordFailure` or `release`). Attempts in flight count toward the limit, so guesses
 * that arrive together cannot all pass before the first failure is counted: with
 * `maxFailures` 5, at most 5 checks run for a key however many callers race.
 */
export interface AttemptThrottle {
  /** Whether `key` is blocked now, without taking a place. */
  check(key: string): Promise<ThrottleState>;
  /**
   * Takes a place for one attempt, atomically with the limit. Refused (`blocked`) while
   * the key is locked out, or while its failures and the attempts still in flight
   * already reach `maxFailures` (then `retryAfterMs` is {@link IN_FLIGHT_RETRY_MS}). A
   * granted place is settled by exactly one `recordFailure` or `release`; one whose
   * holder died expires after `placeTtlMs` (default {@link ATTEMPT_PLACE_TTL_MS}).
   */
  reserve(key: string): Promise<ThrottleState>;
  /** Counts a failure of `key`, settling one reserved place, and tells whether it is now blocked. */
  recordFailure(key: string): Promise<ThrottleState>;
  /** Settles one reserved place without counting a failure. */
  release(key: string): Promise<void>;
  /** Forgets `key`'s failures and lockout, e.g. after a successful login. Places still
   * in flight stay taken until their holders settle them. */
  reset(key: string): Promise<void>;
}

/** How long a reserved place lives when its holder never settles it (a crash). */
export const ATTEMPT_PLACE_TTL_MS = 60_000;

/** The retry delay given while the places are all taken by attempts in flight. */
export const IN_FLIGHT_RETRY_MS = 1_000;

/** Rejects rules that cannot work, naming the field. */
export function checkThrottleRules(rules: AttemptThrottleRules): Required<AttemptThrottleRules> {
  const checked = { ...rules, placeTtlMs: rules.placeTtlMs ?? ATTEMPT_PLACE_TTL_MS };
  const problems = (["maxFailures", "windowMs", "lockoutMs", "placeTtlMs"] as const)
    .filter((field) => !Number.isInteger(checked[field]) || checked[field] < 1)
    .map((field) => ({ field, description: "must be a positive integer" }));
  if (problems.length > 0) throw ServiceError.invalidArgument(problems);
  const { maxFailures, windowMs, lockoutMs, placeTtlMs } = checked;
  return { maxFailures, windowMs, lockoutMs, placeTtlMs };
}

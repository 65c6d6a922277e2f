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
}

/**
 * Throttles repeated failures per key (login: per account and per client address).
 * Implementations: createRedisAttemptThrottle (shared by replicas) and
 * createMemoryAttemptThrottle. Failures count in a window that opens at the first one;
 * reaching `maxFailures` blocks the key for `lockoutMs` and clears the count. Failures
 * while blocked are not counted and do not extend the lockout.
 */
export interface AttemptThrottle {
  /** Whether `key` is blocked now; call before checking the credentials. */
  check(key: string): Promise<ThrottleState>;
  /** Counts a failure of `key` and tells whether it is now blocked. */
  recordFailure(key: string): Promise<ThrottleState>;
  /** Forgets `key`'s failures and lockout, e.g. after a successful login. */
  reset(key: string): Promise<void>;
}

/** Rejects rules that cannot work, naming the field. */
export function checkThrottleRules(rules: AttemptThrottleRules): AttemptThrottleRules {
  const problems = (["maxFailures", "windowMs", "lockoutMs"] as const)
    .filter((field) => !Number.isInteger(rules[field]) || rules[field] < 1)
    .map((field) => ({ field, description: "must be a positive integer" }));
  if (problems.length > 0) throw ServiceError.invalidArgument(problems);
  return { maxFailures: rules.maxFailures, windowMs: rules.windowMs, lockoutMs: rules.lockoutMs };
}

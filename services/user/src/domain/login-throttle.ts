/**
 * Throttling of failed password checks, per account and per client address, in Redis
 * (libs' AttemptThrottle, shared by replicas). Unknown accounts are throttled exactly
 * like real ones, so the throttle cannot tell which addresses are registered.
 *
 * Accounts are keyed by an HMAC of the lower-cased address, never the address itself:
 * Redis keys end up in traces and in `MONITOR`, and a plain hash of an email is
 * reversed by a dictionary of addresses.
 */
import { createHmac } from "node:crypto";
import { Code, ServiceError } from "@shop/libs/errors";
import type { Logger } from "@shop/libs/logging";
import type { AttemptThrottle, AttemptThrottleRules } from "@shop/libs/redis";
import type { Infrastructure } from "@shop/libs/service";
import { Counter, type Registry } from "prom-client";

export interface LoginThrottleRules {
  account: AttemptThrottleRules;
  address: AttemptThrottleRules;
}

/** Who is trying: the account's lookup key and, when the gateway said, the address. */
export interface LoginAttempt {
  readonly emailKey: string;
  readonly clientIp: string | undefined;
}

export interface LoginThrottle {
  /**
   * Runs one password check under the throttle and returns its verdict. A place is taken
   * for the account and the address before `check` runs, atomically with their limits,
   * so concurrent guesses cannot outrun the lockout; it is refused with
   * RESOURCE_EXHAUSTED and a retry delay while either is locked or busy. A false verdict
   * counts a failure for both. A true one restarts the account's count, not the
   * address's, or one valid account would let an attacker reset the counter of a whole
   * password spray. A check that throws (deadline, cancellation) counts nothing.
   */
  verify(attempt: LoginAttempt, check: () => Promise<boolean>): Promise<boolean>;
}

export function createLoginThrottle(options: {
  infrastructure: Infrastructure;
  rules: LoginThrottleRules;
  /** Keys the account HMAC (derived from the KEK). */
  secret: Buffer;
  logger: Logger;
  registry: Registry;
}): LoginThrottle {
  const { logger } = options;
  const accounts = options.infrastructure.throttle("login:account:", options.rules.account);
  const addresses = options.infrastructure.throttle("login:ip:", options.rules.address);
  const unavailable = new Counter({
    name: "login_throttle_unavailable_total",
    help: "Login throttle operations skipped because its store (Redis) did not answer.",
    registers: [options.registry],
  });
  const accountKey = (emailKey: string) =>
    createHmac("sha256", options.secret).update(emailKey).digest("base64url");

  const targets = (attempt: LoginAttempt): [AttemptThrottle, string][] => [
    [accounts, accountKey(attempt.emailKey)],
    ...(attempt.clientIp ? [[addresses, attempt.clientIp] as [AttemptThrottle, string]] : []),
  ];

  // Fails open: when Redis is down, logins go on unthrottled. Failing closed would turn
  // a cache outage into a total sign-in outage for every user; the cost of failing open
  // is bounded because each guess still costs a full argon2id hash here, the gateway's
  // per-address rate limits still apply, and the outage is logged and counted so it is
  // seen and alerted on.
  const failOpen = async <T>(operation: Promise<T>): Promise<T | undefined> => {
    try {
      return await operation;
    } catch (error) {
      unavailable.inc();
      logger.warn({ err: error }, "login throttle unavailable; continuing without it");
      return undefined;
    }
  };

  const refused = (retryAfterMs: number) =>
    new ServiceError(Code.RESOURCE_EXHAUSTED, "too many failed sign-in attempts; try again later", {
      retryAfterMs,
      reason: "LOGIN_THROTTLED",
    });

  return {
    async verify(attempt, check) {
      const places = targets(attempt);
      const states = await Promise.all(
        places.map(([throttle, key]) => failOpen(throttle.reserve(key))),
      );
      const granted = places.filter((_, i) => !states[i]?.blocked);
      const settle = (how: (throttle: AttemptThrottle, key: string) => Promise<unknown>) =>
        Promise.all(granted.map(([throttle, key]) => failOpen(how(throttle, key))));

      if (granted.length < places.length) {
        await settle((throttle, key) => throttle.release(key));
        throw refused(Math.max(...states.map((s) => (s?.blocked ? s.retryAfterMs : 0))));
      }
      let matched: boolean;
      try {
        matched = await check();
      } catch (error) {
        await settle((throttle, key) => throttle.release(key));
        throw error;
      }
      if (!matched) {
        await settle((throttle, key) => throttle.recordFailure(key));
      } else {
        await settle((throttle, key) =>
          throttle === accounts
            ? Promise.all([throttle.release(key), throttle.reset(key)])
            : throttle.release(key),
        );
      }
      return matched;
    },
  };
}

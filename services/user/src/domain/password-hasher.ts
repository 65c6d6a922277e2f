/**
 * Password hashing with argon2id (@node-rs/argon2, run on libuv's thread pool so the
 * event loop stays free). Parameters are OWASP's first recommendation by default
 * (m = 19 MiB, t = 2, p = 1) and travel inside each PHC string, so hashes made with
 * older parameters still verify and are upgraded at the next successful login.
 */
import { randomBytes } from "node:crypto";
import { hash, parseOptions, verify } from "@node-rs/argon2";
import { passwordForHashing } from "./account-input";

export interface PasswordHashParams {
  /** Memory in KiB (the PHC `m`). */
  memoryKib: number;
  /** Passes over memory (the PHC `t`). */
  iterations: number;
  /** Lanes (the PHC `p`). */
  parallelism: number;
}

export const OWASP_ARGON2ID: PasswordHashParams = {
  memoryKib: 19_456,
  iterations: 2,
  parallelism: 1,
};

export interface PasswordHasher {
  readonly params: PasswordHashParams;
  /** A PHC string `$argon2id$v=19$m=...,t=...,p=...$salt$hash` with a fresh salt. */
  hash(password: string, signal?: AbortSignal): Promise<string>;
  /**
   * Whether `password` matches `stored`. Without a stored hash (unknown account) the
   * password is checked against a dummy hash of the same cost, so the answer takes as
   * long as a real check and cannot tell an attacker which accounts exist.
   */
  verify(stored: string | undefined, password: string, signal?: AbortSignal): Promise<boolean>;
  /** Whether `stored` was made with other parameters than the current ones. */
  needsRehash(stored: string): boolean;
}

/** Creates a hasher; the dummy hash is computed once, here, with the same parameters. */
export async function createPasswordHasher(
  params: PasswordHashParams = OWASP_ARGON2ID,
): Promise<PasswordHasher> {
  // algorithm is left at the library default, Argon2id (a const enum cannot be imported
  // under isolatedModules); needsRehash and the tests check the `$argon2id$` prefix.
  const options = {
    memoryCost: params.memoryKib,
    timeCost: params.iterations,
    parallelism: params.parallelism,
  };
  const dummy = await hash(randomBytes(32).toString("base64url"), options);

  return {
    params,
    // A call already given up on (client gone, deadline passed) costs no hash.
    async hash(password, signal) {
      signal?.throwIfAborted();
      return hash(passwordForHashing(password), options, signal);
    },
    async verify(stored, password, signal) {
      signal?.throwIfAborted();
      const matched = await verify(
        stored ?? dummy,
        passwordForHashing(password),
        undefined,
        signal,
      ).catch((error: unknown) => {
        if (signal?.aborted) throw error;
        // A malformed stored hash is a mismatch, never an open door.
        return false;
      });
      return stored !== undefined && matched;
    },
    needsRehash(stored) {
      if (!stored.startsWith("$argon2id$")) return true;
      try {
        const current = parseOptions(stored);
        return (
          current.memoryCost !== params.memoryKib ||
          current.timeCost !== params.iterations ||
          current.parallelism !== params.parallelism
        );
      } catch {
        return true;
      }
    },
  };
}

/**
 * user-service's own environment, parsed once at start-up on top of the common
 * variables of every service (libs' serviceEnvShape). A missing or malformed value stops
 * the process with a message naming the variable, never echoing a secret.
 */
import { type Env, env, parseEnv } from "@shop/libs/config";

/** AES-256 needs exactly this many bytes of key-encryption key. */
export const KEK_BYTES = 32;

/** Decodes standard or URL-safe base64 strictly: anything else is not a key. */
function decodeKek(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) return undefined;
  const bytes = Buffer.from(trimmed.replaceAll("-", "+").replaceAll("_", "/"), "base64");
  return bytes.length === KEK_BYTES ? bytes : undefined;
}

const kekMessage = `expected base64 of ${KEK_BYTES} random bytes (e.g. openssl rand -base64 32)`;

// The value is never part of a message: it is a secret.
const kek = () =>
  env.string().transform((text, ctx) => {
    const key = decodeKek(text);
    if (!key) ctx.addIssue({ code: "custom", message: kekMessage });
    return key as Buffer;
  });

const kekList = () =>
  env.string().transform((text, ctx) => {
    const keys = text.split(",").map(decodeKek);
    if (keys.some((k) => k === undefined)) {
      ctx.addIssue({ code: "custom", message: `comma-separated keys, each ${kekMessage}` });
    }
    return keys as Buffer[];
  });

/** A duration within bounds, in milliseconds. */
const duration = (minMs: number, maxMs: number) =>
  env.durationMs().refine((ms) => ms >= minMs && ms <= maxMs, {
    message: `expected ${minMs / 1000} s to ${maxMs / 1000} s`,
  });

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The variables user-service reads besides the common ones. */
export const userEnvShape = {
  DATABASE_URL: env.url("postgres", "postgresql"),
  /** The key-encryption key that seals signing keys in the database (a Secret). */
  USER_KEK: kek(),
  /** Earlier KEKs, still accepted to unseal keys they sealed, during a KEK rotation. */
  USER_KEK_PREVIOUS: kekList().optional(),
  ACCESS_TOKEN_TTL: duration(10_000, 24 * HOUR).default(15 * MINUTE),
  REFRESH_TOKEN_TTL: duration(MINUTE, 365 * 24 * HOUR).default(30 * 24 * HOUR),
  /** How often a replica re-reads the signing keys (rotation by another process). */
  SIGNING_KEY_REFRESH: duration(0, 10 * MINUTE).default(30_000),
  /** Failed logins per account, and per client address, within the window before a lockout. */
  LOGIN_ACCOUNT_MAX_FAILURES: env.int(1, 1000).default(5),
  LOGIN_IP_MAX_FAILURES: env.int(1, 100_000).default(20),
  LOGIN_FAILURE_WINDOW: duration(1000, 24 * HOUR).default(15 * MINUTE),
  LOGIN_LOCKOUT: duration(1000, 24 * HOUR).default(15 * MINUTE),
  /**
   * argon2id cost. The floors are OWASP's weakest recommended setting (7 MiB, t=5 is
   * the low-memory end of the same trade-off); the defaults are its first choice.
   */
  PASSWORD_HASH_MEMORY_KIB: env.int(7168, 4 * 1024 * 1024).default(19_456),
  PASSWORD_HASH_ITERATIONS: env.int(1, 20).default(2),
  PASSWORD_HASH_PARALLELISM: env.int(1, 16).default(1),
};

/** Parses user-service's variables; throws ConfigError naming each bad one. */
export function parseUserConfig(environment: Env) {
  return parseEnv(userEnvShape, environment);
}

export type UserConfig = ReturnType<typeof parseUserConfig>;

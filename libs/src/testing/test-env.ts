import { randomBytes } from "node:crypto";
import type { Env } from "../config";

/** A random prefix for one test run's Redis keys and streams. */
export function uniquePrefix(label = "test"): string {
  return `${label}:${randomBytes(4).toString("hex")}:`;
}

/**
 * The environment of a service under test: free ports, quiet logs, its own Redis key
 * prefix, a short shutdown grace. Dev service keys come from `npm run setup`.
 */
export function testServiceEnv(overrides: Env = {}): Env {
  return {
    ...process.env,
    GRPC_PORT: "0",
    HTTP_PORT: "0",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    REDIS_KEY_PREFIX: uniquePrefix(),
    SHUTDOWN_GRACE: "2s",
    ...overrides,
  };
}

/** The superuser URL tests create scratch databases through. */
export const TEST_ADMIN_URL =
  process.env.PG_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/**
 * order-service's own environment, parsed once at start-up next to the common
 * variables of every service (serviceEnvShape). A malformed value stops the process
 * with a message naming the variable.
 */
import { type Env, env, parseEnv } from "@shop/libs/config";
import type { SagaCrashPoint } from "./order-saga";

const positiveDuration = () =>
  env.durationMs().refine((ms) => ms > 0, { message: "expected a duration above zero" });

const CRASH_STEPS = [
  "RESERVE_STOCK",
  "AUTHORIZE_PAYMENT",
  "COMMIT_STOCK",
  "VOID_PAYMENT",
  "RELEASE_STOCK",
  "RETURN_STOCK",
  "REFUND_PAYMENT",
  "FINISH",
] as const;
const CRASH_POINT = new RegExp(`^(after-call|after-persist):(${CRASH_STEPS.join("|")})$`);

export const orderEnvShape = {
  /** The orders database, e.g. postgres://order_service:...@127.0.0.1:5432/orders. */
  DATABASE_URL: env.url("postgres", "postgresql"),
  /** Timeout of each product-service call of the saga. */
  PRODUCT_CALL_TIMEOUT: positiveDuration().default(2_000),
  /** Timeout of CreateOrder's account check (user-service GetUser). */
  USER_CALL_TIMEOUT: positiveDuration().default(1_000),
  /** Timeout of each payment provider call; past it the outcome counts as unknown. */
  PAYMENT_TIMEOUT: positiveDuration().default(3_000),
  /** How long CreateOrder runs the saga when the caller set no deadline. */
  SAGA_DEADLINE: positiveDuration().default(10_000),
  /** How often the recovery loop looks for sagas left half-done. */
  SAGA_RECOVERY_INTERVAL: positiveDuration().default(5_000),
  /** A saga nobody drives is recovered once it has not moved for this long. */
  SAGA_RECOVERY_AFTER: env.durationMs().default(5_000),
  /** Sagas one recovery pass takes on. */
  SAGA_RECOVERY_BATCH: env.int(1, 1_000).default(20),
  /** WatchOrder re-reads the order this often in case a bus entry was missed. */
  WATCH_RESYNC_INTERVAL: positiveDuration().default(5_000),
  /** The payment provider; only the built-in test provider exists so far. */
  PAYMENT_PROVIDER: env.oneOf(["test"]).default("test"),
  /**
   * Test hook, off by default: "after-call:<STEP>" or "after-persist:<STEP>" ends the
   * process with SIGKILL at that point of the first saga that gets there (crash tests).
   */
  FAULT_SAGA_CRASH: env
    .string()
    .regex(
      CRASH_POINT,
      `expected after-call:<STEP> or after-persist:<STEP>, STEP one of ${CRASH_STEPS.join(", ")}`,
    )
    .transform((text): SagaCrashPoint => {
      const [when, step] = text.split(":") as [SagaCrashPoint["when"], SagaCrashPoint["step"]];
      return { when, step };
    })
    .optional(),
};

export type OrderConfig = Readonly<{
  DATABASE_URL: string;
  PRODUCT_CALL_TIMEOUT: number;
  USER_CALL_TIMEOUT: number;
  PAYMENT_TIMEOUT: number;
  SAGA_DEADLINE: number;
  SAGA_RECOVERY_INTERVAL: number;
  SAGA_RECOVERY_AFTER: number;
  SAGA_RECOVERY_BATCH: number;
  WATCH_RESYNC_INTERVAL: number;
  PAYMENT_PROVIDER: "test";
  FAULT_SAGA_CRASH?: SagaCrashPoint | undefined;
}>;

/** Throws a ConfigError naming every bad variable. */
export function parseOrderConfig(vars: Env): OrderConfig {
  return parseEnv(orderEnvShape, vars);
}

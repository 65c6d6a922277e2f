/**
 * product-service's own environment, parsed once at start-up next to the common
 * variables of every service (serviceEnvShape). A malformed value stops the process
 * with a message naming the variable.
 */
import { type Env, env, parseEnv } from "@shop/libs/config";

const positiveDuration = () =>
  env.durationMs().refine((ms) => ms > 0, { message: "expected a duration above zero" });

export const productEnvShape = {
  /** The products database, e.g. postgres://product_service:...@127.0.0.1:5432/products. */
  DATABASE_URL: env.url("postgres", "postgresql"),
  /** How long an uncommitted reservation holds its stock before the sweeper releases it. */
  RESERVATION_TTL: positiveDuration().default(15 * 60_000),
  /** How often the sweeper looks for expired reservations. */
  RESERVATION_SWEEP_INTERVAL: positiveDuration().default(30_000),
  /** Lifetime of a cached product or first page: the backstop behind invalidation. */
  CACHE_TTL: positiveDuration().default(60_000),
  /** false serves every read from the database (benchmarks, debugging a suspected cache bug). */
  CACHE_ENABLED: env.bool().default(true),
};

export type ProductConfig = Readonly<{
  DATABASE_URL: string;
  RESERVATION_TTL: number;
  RESERVATION_SWEEP_INTERVAL: number;
  CACHE_TTL: number;
  CACHE_ENABLED: boolean;
}>;

/** Throws a ConfigError naming every bad variable. */
export function parseProductConfig(vars: Env): ProductConfig {
  return parseEnv(productEnvShape, vars);
}

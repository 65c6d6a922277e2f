/**
 * user-service's wiring: configuration, the libs runtime (admin HTTP with the JWKS,
 * gRPC, database, Redis), the signing keys, the password hasher, the login throttle,
 * and the handlers. Nothing is module-level: the embedded mode calls startUserService
 * in a process that runs the other services too.
 *
 * Self-verification: the runtime verifies access tokens on AUTHENTICATED RPCs through
 * libs' verifier, which fetches JWKS_URL, by default this very process's admin port.
 * That works because the admin server is up before gRPC accepts a call, and the
 * verifier fetches lazily, at the first token it sees, by which time the key store has
 * a key (start() waits for it).
 */
import { join } from "node:path";
import { UserServiceService } from "@shop/gen/ts/shop/user/v1/user";
import type { AdminRoute } from "@shop/libs/admin";
import type { Env } from "@shop/libs/config";
import {
  createServiceRuntime,
  type Infrastructure,
  type ServiceRuntime,
  type ServiceRuntimeOptions,
} from "@shop/libs/service";
import { createAccountService } from "./accounts/account-service";
import { createPrivacyService } from "./accounts/privacy-service";
import { createSessionRepository } from "./adapters/session-repository";
import { createUserRepository } from "./adapters/user-repository";
import { createLoginThrottle } from "./domain/login-throttle";
import { createPasswordHasher } from "./domain/password-hasher";
import { createUserHandlers } from "./handlers/user-handlers";
import { createJwksRoute, JWKS_MAX_AGE_SECONDS, JWKS_PATH } from "./keys/jwks-route";
import { createKeyEncryption } from "./keys/key-encryption";
import { createSigningKeyRepository } from "./keys/signing-key-repository";
import { createSigningKeyStore } from "./keys/signing-key-store";
import { createAccessTokenIssuer } from "./tokens/access-token-issuer";
import { parseUserConfig, type UserConfig } from "./user-config";

/** user-service's SQL migrations. */
export const USER_MIGRATIONS_DIR = join(__dirname, "..", "migrations");

/** Clock difference between replicas and verifiers that key retention allows for. */
const CLOCK_SKEW_MS = 60_000;

/** How often expired refresh-token sessions are deleted (data minimisation). */
const SESSION_PRUNE_INTERVAL_MS = 3_600_000;

export interface UserServiceOptions {
  env: Env;
  /** Default: Redis at REDIS_URL. The embedded mode passes in-memory adapters. */
  infrastructure?: Infrastructure;
  logDestination?: ServiceRuntimeOptions["logDestination"];
}

export interface RunningUserService {
  readonly runtime: ServiceRuntime;
  readonly grpcPort: number;
  readonly httpPort: number;
  stop(): Promise<void>;
}

/**
 * How long a retired key stays in the JWKS: its last token may have been signed up to
 * one key-refresh interval after its retirement (a replica's cache), lives one access
 * token lifetime, and clocks differ a little.
 */
export function keyRetentionMs(config: UserConfig): number {
  return config.ACCESS_TOKEN_TTL + config.SIGNING_KEY_REFRESH + CLOCK_SKEW_MS;
}

/**
 * How long after a rotation the new key starts signing by default: every replica's key
 * cache and every HTTP cache of the JWKS hold it by then.
 */
export function keyPublicationDelayMs(config: UserConfig): number {
  return config.SIGNING_KEY_REFRESH + JWKS_MAX_AGE_SECONDS * 1000;
}

/** Starts user-service; resolves once it serves, with a signing key in place. */
export async function startUserService(options: UserServiceOptions): Promise<RunningUserService> {
  const config = parseUserConfig(options.env);
  // The JWKS route is needed when the runtime is built, the key store needs the
  // runtime's pool: the route forwards to the store once it exists (before start).
  let jwksRoute: AdminRoute | undefined;
  const runtime = await createServiceRuntime({
    name: "user-service",
    env: options.env,
    database: { url: config.DATABASE_URL, migrationsDir: USER_MIGRATIONS_DIR },
    adminRoutes: { [JWKS_PATH]: (req, res) => jwksRoute!(req, res) },
    ...(options.infrastructure ? { infrastructure: options.infrastructure } : {}),
    ...(options.logDestination ? { logDestination: options.logDestination } : {}),
  });
  const { pool, logger } = runtime;

  const encryption = createKeyEncryption({
    current: config.USER_KEK,
    previous: config.USER_KEK_PREVIOUS ?? [],
  });
  const keys = createSigningKeyStore({
    repository: createSigningKeyRepository(pool),
    encryption,
    retentionMs: keyRetentionMs(config),
    refreshMs: config.SIGNING_KEY_REFRESH,
    logger,
  });
  jwksRoute = createJwksRoute(keys, logger);

  const users = createUserRepository(pool);
  const sessions = createSessionRepository(pool);
  const hasher = await createPasswordHasher({
    memoryKib: config.PASSWORD_HASH_MEMORY_KIB,
    iterations: config.PASSWORD_HASH_ITERATIONS,
    parallelism: config.PASSWORD_HASH_PARALLELISM,
  });
  const throttle = createLoginThrottle({
    infrastructure: runtime.infrastructure,
    rules: {
      account: {
        maxFailures: config.LOGIN_ACCOUNT_MAX_FAILURES,
        windowMs: config.LOGIN_FAILURE_WINDOW,
        lockoutMs: config.LOGIN_LOCKOUT,
      },
      address: {
        maxFailures: config.LOGIN_IP_MAX_FAILURES,
        windowMs: config.LOGIN_FAILURE_WINDOW,
        lockoutMs: config.LOGIN_LOCKOUT,
      },
    },
    secret: encryption.deriveKey("user-service/login-throttle"),
    logger,
    registry: runtime.metrics.registry,
  });
  const issuer = createAccessTokenIssuer({
    keys,
    issuer: runtime.config.JWT_ISSUER,
    audience: runtime.config.JWT_AUDIENCE,
    ttlMs: config.ACCESS_TOKEN_TTL,
  });

  runtime.grpc.add(
    UserServiceService,
    createUserHandlers({
      accounts: createAccountService({
        pool,
        users,
        sessions,
        hasher,
        issuer,
        throttle,
        refreshTtlMs: config.REFRESH_TOKEN_TTL,
        logger,
      }),
      privacy: createPrivacyService({ pool, users, sessions, hasher, throttle, logger }),
    }),
  );
  // Without a usable signing key (wrong KEK, no database) nothing here can be served.
  runtime.readiness.addCheck("signing-key", () => keys.current().then(() => true), {
    critical: true,
  });

  const { grpcPort, httpPort } = await runtime.start();
  try {
    // Creates the first key on an empty database, and proves USER_KEK unseals the current one.
    const key = await keys.current();
    logger.info({ kid: key.kid }, "signing with key");
  } catch (error) {
    await runtime.stop();
    throw error;
  }

  const prune = () =>
    sessions
      .pruneExpired()
      .then((count) => count > 0 && logger.info({ count }, "expired sessions deleted"))
      .catch((error: unknown) => logger.warn({ err: error }, "pruning expired sessions failed"));
  const pruneTimer = setInterval(prune, SESSION_PRUNE_INTERVAL_MS).unref();
  runtime.onStop(() => clearInterval(pruneTimer));

  return { runtime, grpcPort, httpPort, stop: () => runtime.stop() };
}

/**
 * Accounts and signing in: registration, login with throttling, and refresh-token
 * rotation. Independent of gRPC: the handlers map requests and responses, this module
 * applies the rules and throws ServiceError.
 */
import { randomUUID } from "node:crypto";
import type { Role } from "@shop/libs/auth";
import { withTransaction } from "@shop/libs/db";
import { Code, type FieldViolation, ServiceError } from "@shop/libs/errors";
import type { Logger } from "@shop/libs/logging";
import type { Pool } from "pg";
import type { SessionRepository } from "../adapters/session-repository";
import { emailTaken, type UserRecord, type UserRepository } from "../adapters/user-repository";
import {
  emailLookupKey,
  normaliseEmail,
  normaliseName,
  passwordViolations,
  presentedPasswordViolations,
} from "../domain/account-input";
import type { LoginThrottle } from "../domain/login-throttle";
import type { PasswordHasher } from "../domain/password-hasher";
import type { AccessTokenIssuer, IssuedAccessToken } from "../tokens/access-token-issuer";
import { newRefreshToken, refreshTokenHash } from "../tokens/refresh-token";

/** What a successful sign-in hands the client. */
export interface SignedIn {
  readonly user: UserRecord;
  readonly accessToken: IssuedAccessToken;
  readonly refreshToken: string;
}

export interface TokenPair {
  readonly accessToken: IssuedAccessToken;
  readonly refreshToken: string;
}

export interface AccountService {
  /** Creates an account (customer by default) and signs it in. */
  register(
    input: { email: string; password: string; name: string },
    options?: { role?: Role; signal?: AbortSignal },
  ): Promise<SignedIn>;
  login(
    input: { email: string; password: string },
    clientIp: string | undefined,
    signal?: AbortSignal,
  ): Promise<SignedIn>;
  refresh(refreshToken: string): Promise<TokenPair>;
}

export interface AccountServiceDependencies {
  pool: Pool;
  users: UserRepository;
  sessions: SessionRepository;
  hasher: PasswordHasher;
  issuer: AccessTokenIssuer;
  throttle: LoginThrottle;
  refreshTtlMs: number;
  logger: Logger;
}

/** The one answer for a wrong password and an unknown address. */
function invalidCredentials(): ServiceError {
  return new ServiceError(Code.UNAUTHENTICATED, "email or password is incorrect", {
    reason: "INVALID_CREDENTIALS",
  });
}

function refreshRefused(reason: string): ServiceError {
  return new ServiceError(Code.UNAUTHENTICATED, "refresh token is not valid; sign in again", {
    reason,
  });
}

/** Validates a new account's fields, reporting every bad one. */
export function validateNewAccount(input: { email: string; password: string; name: string }) {
  const email = normaliseEmail(input.email);
  const name = normaliseName(input.name);
  const violations: FieldViolation[] = [
    ...email.violations,
    ...passwordViolations(input.password, email.email),
    ...name.violations,
  ];
  if (violations.length > 0 || email.email === undefined) {
    throw ServiceError.invalidArgument(violations);
  }
  return { email: email.email, name: name.name };
}

export function createAccountService(deps: AccountServiceDependencies): AccountService {
  const { pool, users, sessions, hasher, issuer, throttle, logger } = deps;
  const refreshExpiry = () => new Date(Date.now() + deps.refreshTtlMs);

  /** Issues the access token first: a signing failure then leaves no session behind. */
  async function signIn(user: UserRecord): Promise<SignedIn> {
    const accessToken = await issuer.issue(user.id, user.role);
    const refresh = newRefreshToken();
    await sessions.open(user.id, refresh.hash, refreshExpiry());
    return { user, accessToken, refreshToken: refresh.token };
  }

  return {
    async register(input, options = {}) {
      const { email, name } = validateNewAccount(input);
      // Checked before the costly hash; the unique index still decides a race.
      if (await users.findByEmail(email)) throw emailTaken();
      const passwordHash = await hasher.hash(input.password, options.signal);
      const id = randomUUID();
      const role = options.role ?? "customer";
      const accessToken = await issuer.issue(id, role);
      const refresh = newRefreshToken();
      const user = await withTransaction(pool, async (client) => {
        const created = await users.insert(client, { id, email, name, role, passwordHash });
        await sessions.open(id, refresh.hash, refreshExpiry(), client);
        return created;
      });
      logger.info({ userId: id, role }, "account registered");
      return { user, accessToken, refreshToken: refresh.token };
    },

    async login(input, clientIp, signal) {
      const email = normaliseEmail(input.email);
      const violations = [...email.violations, ...presentedPasswordViolations(input.password)];
      if (violations.length > 0 || email.email === undefined) {
        throw ServiceError.invalidArgument(violations);
      }
      const attempt = { emailKey: emailLookupKey(email.email), clientIp };
      const user = await users.findByEmail(email.email);
      // Verified against a dummy hash when there is no account: the same work either way.
      const matched = await throttle.verify(attempt, () =>
        hasher.verify(user?.passwordHash, input.password, signal),
      );
      if (!user || !matched) {
        logger.info({ userId: user?.id }, "login failed");
        throw invalidCredentials();
      }
      if (hasher.needsRehash(user.passwordHash)) {
        const upgraded = await hasher.hash(input.password, signal);
        if (await users.replacePasswordHash(user.id, user.passwordHash, upgraded)) {
          logger.info({ userId: user.id }, "password hash upgraded to the current parameters");
        }
      }
      return signIn(user);
    },

    async refresh(refreshToken) {
      if (refreshToken === "") {
        throw ServiceError.invalidArgument([
          { field: "refresh_token", description: "is required" },
        ]);
      }
      const hash = refreshTokenHash(refreshToken);
      if (!hash) throw refreshRefused("REFRESH_TOKEN_INVALID");
      const next = newRefreshToken();
      const outcome = await sessions.rotate(hash, next.hash, refreshExpiry());
      switch (outcome.verdict) {
        case "valid":
          return {
            accessToken: await issuer.issue(outcome.userId, outcome.role),
            refreshToken: next.token,
          };
        case "reused":
          logger.warn(
            { sessionId: outcome.sessionId },
            "a rotated refresh token was presented again; its session is revoked",
          );
          throw refreshRefused("REFRESH_TOKEN_REUSED");
        case "revoked":
          throw refreshRefused("REFRESH_TOKEN_REVOKED");
        case "expired":
          throw refreshRefused("REFRESH_TOKEN_EXPIRED");
        default:
          throw refreshRefused("REFRESH_TOKEN_INVALID");
      }
    },
  };
}

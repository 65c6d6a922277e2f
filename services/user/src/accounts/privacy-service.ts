/**
 * The caller's own account and their privacy rights: access and portability (export,
 * GDPR art. 15/20) and erasure (art. 17), plus the internal lookup by id.
 *
 * Erasure deletes the account row (its sessions and refresh tokens cascade), leaves a
 * tombstone of id and time, and writes UserDeleted to the outbox in the same
 * transaction: the other services hear of it if and only if it happened.
 */

import { UserDeleted } from "@shop/gen/ts/shop/events/v1/events";
import { withTransaction } from "@shop/libs/db";
import { Code, ServiceError } from "@shop/libs/errors";
import { packEvent, writeEvent } from "@shop/libs/events";
import type { Logger } from "@shop/libs/logging";
import type { Pool } from "pg";
import type { SessionRecord, SessionRepository } from "../adapters/session-repository";
import type { UserRecord, UserRepository } from "../adapters/user-repository";
import { emailLookupKey, presentedPasswordViolations } from "../domain/account-input";
import type { LoginThrottle } from "../domain/login-throttle";
import type { PasswordHasher } from "../domain/password-hasher";

export interface DataExport {
  readonly user: UserRecord;
  readonly sessions: readonly SessionRecord[];
  readonly exportTime: Date;
}

export interface PrivacyService {
  /** The caller's account; NOT_FOUND once erased. */
  getMe(userId: string): Promise<UserRecord>;
  exportData(userId: string): Promise<DataExport>;
  /** Erases the account after checking its password (throttled like a login). */
  deleteMe(
    userId: string,
    password: string,
    clientIp: string | undefined,
    signal?: AbortSignal,
  ): Promise<Date>;
  /** For other services: INVALID_ARGUMENT for a malformed id, NOT_FOUND if unknown or erased. */
  getUser(userId: string): Promise<UserRecord>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function accountNotFound(): ServiceError {
  return ServiceError.notFound("account not found");
}

export function createPrivacyService(deps: {
  pool: Pool;
  users: UserRepository;
  sessions: SessionRepository;
  hasher: PasswordHasher;
  throttle: LoginThrottle;
  logger: Logger;
}): PrivacyService {
  const { pool, users, sessions, hasher, throttle, logger } = deps;

  const existing = async (userId: string): Promise<UserRecord> => {
    const user = UUID.test(userId) ? await users.findById(userId) : undefined;
    if (!user) throw accountNotFound();
    return user;
  };

  return {
    getMe: existing,

    async exportData(userId) {
      const user = await existing(userId);
      return { user, sessions: await sessions.listForUser(userId), exportTime: new Date() };
    },

    async deleteMe(userId, password, clientIp, signal) {
      const violations = presentedPasswordViolations(password);
      if (violations.length > 0) throw ServiceError.invalidArgument(violations);
      const user = await existing(userId);
      // A stolen access token must not become a password oracle: DeleteMe shares the
      // account's failure budget with Login.
      const attempt = { emailKey: emailLookupKey(user.email), clientIp };
      if (
        !(await throttle.verify(attempt, () => hasher.verify(user.passwordHash, password, signal)))
      ) {
        throw new ServiceError(Code.PERMISSION_DENIED, "the password is incorrect", {
          reason: "INVALID_CREDENTIALS",
        });
      }
      const deletedAt = await withTransaction(pool, async (client) => {
        const at = await users.erase(client, userId, user.passwordHash);
        if (!at) return undefined;
        await writeEvent(client, {
          producer: "user-service",
          aggregateId: userId,
          ...packEvent(UserDeleted, "shop.events.v1.UserDeleted", { userId, deleteTime: at }),
        });
        return at;
      });
      if (!deletedAt) {
        // Erased by a concurrent call, or the password changed since it was checked.
        if (!(await users.findById(userId))) throw accountNotFound();
        throw new ServiceError(Code.ABORTED, "the account changed meanwhile; try again");
      }
      logger.info({ userId }, "account erased");
      return deletedAt;
    },

    async getUser(userId) {
      if (!UUID.test(userId)) {
        throw ServiceError.invalidArgument([
          { field: "user_id", description: userId === "" ? "is required" : "must be a UUID" },
        ]);
      }
      return existing(userId);
    },
  };
}

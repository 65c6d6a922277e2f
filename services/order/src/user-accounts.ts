/**
 * order-service's gateway to user-service: before an order is placed, is the caller's
 * account still there? An access token outlives the account it names (DeleteMe erases
 * the account at once, the token stays valid until it expires, 15 minutes by default),
 * and an erased account must not place orders.
 *
 * user-service's INTERNAL GetUser answers. When user-service cannot answer (down,
 * overloaded, too slow), ordering does not stop with it: the answer then comes from the
 * UserDeleted events this service has consumed (table erased_accounts), which miss only
 * an erasure in the last moments before the outage. Any other failure (user-service
 * refusing this caller, say) is a misconfiguration and fails the order loudly.
 */
import type { UserServiceService } from "@shop/gen/ts/shop/user/v1/user";
import type { UserIdentity } from "@shop/libs/auth";
import { Code, ServiceError } from "@shop/libs/errors";
import type { CallerContext, GrpcClient } from "@shop/libs/grpc";
import type { Logger } from "@shop/libs/logging";
import type { Pool } from "pg";
import { Counter, type Registry } from "prom-client";

/** The generated user-service client, as the runtime creates it. */
export type UserClient = GrpcClient<typeof UserServiceService>;

export interface UserAccounts {
  /** Resolves when `user` may place an order; PERMISSION_DENIED for an erased account. */
  assertCanOrder(user: UserIdentity, ctx: CallerContext): Promise<void>;
}

export interface UserAccountsOptions {
  client: UserClient;
  /** The orders database, holding erased_accounts. */
  pool: Pool;
  /** Timeout of the GetUser call. */
  timeoutMs: number;
  logger: Logger;
  registry: Registry;
}

/** user-service could not answer: the fallback applies. */
const UNANSWERED = new Set([Code.UNAVAILABLE, Code.DEADLINE_EXCEEDED, Code.RESOURCE_EXHAUSTED]);

function accountErased(): ServiceError {
  return new ServiceError(
    Code.PERMISSION_DENIED,
    "this account has been deleted and can no longer place orders",
    { reason: "ACCOUNT_DELETED" },
  );
}

export function createUserAccounts(options: UserAccountsOptions): UserAccounts {
  const { client, pool, logger } = options;
  const checks = new Counter({
    name: "order_account_checks_total",
    help: "Account checks before CreateOrder, by how they were answered (user-service, fallback) and outcome.",
    labelNames: ["source", "outcome"],
    registers: [options.registry],
  });

  async function erasedLocally(userId: string): Promise<boolean> {
    const { rowCount } = await pool.query("SELECT 1 FROM erased_accounts WHERE user_id = $1", [
      userId,
    ]);
    return (rowCount ?? 0) > 0;
  }

  return {
    async assertCanOrder(user, ctx) {
      let failure: ServiceError;
      try {
        await client.getUser({ userId: user.userId }, { ctx, timeoutMs: options.timeoutMs });
        checks.inc({ source: "user-service", outcome: "active" });
        return;
      } catch (error) {
        failure =
          error instanceof ServiceError
            ? error
            : new ServiceError(Code.UNKNOWN, String(error), { cause: error });
      }
      if (failure.code === Code.NOT_FOUND) {
        checks.inc({ source: "user-service", outcome: "erased" });
        throw accountErased();
      }
      if (!UNANSWERED.has(failure.code)) {
        throw new ServiceError(Code.INTERNAL, `the account check failed: ${failure.message}`, {
          cause: failure,
        });
      }
      const erased = await erasedLocally(user.userId);
      checks.inc({ source: "fallback", outcome: erased ? "erased" : "active" });
      logger.warn(
        { userId: user.userId, code: Code[failure.code], error: failure.message },
        "user-service did not answer the account check; answered from UserDeleted events",
      );
      if (erased) throw accountErased();
    },
  };
}

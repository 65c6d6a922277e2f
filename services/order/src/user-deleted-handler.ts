/**
 * Consumes user-service's UserDeleted: the erased user's orders stay (they are
 * business records: stock, payments) but no longer name them, and their idempotency
 * keys go, and the account is remembered as erased for a while (see
 * rememberErasedAccount). Runs in the inbox transaction, so it applies exactly once.
 */
import { UserDeleted } from "@shop/gen/ts/shop/events/v1/events";
import type { EventHandler } from "@shop/libs/events";
import type { Logger } from "@shop/libs/logging";
import type { PoolClient } from "pg";

export const USER_DELETED = "shop.events.v1.UserDeleted";

/** Anonymises `userId`'s orders in `client`'s transaction; resolves how many. */
export async function anonymiseUserOrders(client: PoolClient, userId: string): Promise<number> {
  const { rowCount } = await client.query(
    `UPDATE orders SET user_id = NULL, anonymized_at = now(), cancel_reason = '', updated_at = now()
      WHERE user_id = $1`,
    [userId],
  );
  await client.query("DELETE FROM idempotency_keys WHERE user_id = $1", [userId]);
  return rowCount ?? 0;
}

/**
 * How long an erased account is remembered: the longest access-token lifetime
 * user-service can be configured with (ACCESS_TOKEN_TTL, at most 24 h). Past it no token
 * of the account is valid, and the gateway and every service reject the caller anyway.
 */
export const ERASED_ACCOUNT_RETENTION = "24 hours";

/**
 * Records the account as erased, for CreateOrder's check when user-service cannot
 * answer (user-accounts.ts), and forgets accounts erased longer ago than any token of
 * theirs can live.
 */
export async function rememberErasedAccount(client: PoolClient, userId: string): Promise<void> {
  await client.query(
    "INSERT INTO erased_accounts (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING",
    [userId],
  );
  await client.query(
    `DELETE FROM erased_accounts WHERE erased_at < now() - interval '${ERASED_ACCOUNT_RETENTION}'`,
  );
}

export function createUserDeletedHandler(logger: Logger): EventHandler {
  return async (payload, envelope, client) => {
    const { userId } = UserDeleted.decode(payload);
    if (userId === "") {
      logger.warn({ eventId: envelope.id }, "UserDeleted without a user id; ignored");
      return;
    }
    const orders = await anonymiseUserOrders(client, userId);
    await rememberErasedAccount(client, userId);
    logger.info({ eventId: envelope.id, orders }, "orders of a deleted user anonymised");
  };
}

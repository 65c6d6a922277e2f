/**
 * Consumes user-service's UserDeleted: the erased user's orders stay (they are
 * business records: stock, payments) but no longer name them, and their idempotency
 * keys go. Runs in the inbox transaction, so it applies exactly once.
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

export function createUserDeletedHandler(logger: Logger): EventHandler {
  return async (payload, envelope, client) => {
    const { userId } = UserDeleted.decode(payload);
    if (userId === "") {
      logger.warn({ eventId: envelope.id }, "UserDeleted without a user id; ignored");
      return;
    }
    const orders = await anonymiseUserOrders(client, userId);
    logger.info({ eventId: envelope.id, orders }, "orders of a deleted user anonymised");
  };
}

/**
 * Inventory: reservations per order and the stock movements they make. Every
 * operation is one transaction that locks the reservation row first and then the
 * stock rows in product id order (the same order everywhere, so no deadlocks), moves
 * stock through the ledger (which writes StockChanged to the outbox), and invalidates
 * the touched products' cache entries after the commit.
 */

import type { StockItem } from "@shop/gen/ts/shop/product/v1/product";
import { withTransaction } from "@shop/libs/db";
import { Code, ServiceError } from "@shop/libs/errors";
import type { Pool, PoolClient } from "pg";
import type { ProductCache } from "./product-cache";
import {
  claimReservation,
  claimTombstone,
  insertLines,
  lockNextExpired,
  lockReservation,
  type Reservation,
  type ReservedLine,
  readReservation,
  setReservationState,
} from "./reservation-repository";
import {
  planSettle,
  type ReservationStateName,
  type SettleAction,
  type SettleReason,
  stateConflict,
} from "./reservation-state";
import { moveStocks, type StockLevels } from "./stock-ledger";
import { validateOrderId, validateReservation } from "./stock-validation";

export interface Inventory {
  /** All or nothing; a repeat for the same order id returns the existing reservation. */
  reserve(orderId: string, items: readonly StockItem[]): Promise<Reservation>;
  release(orderId: string): Promise<ReservationStateName>;
  commit(orderId: string): Promise<ReservationStateName>;
  return(orderId: string): Promise<ReservationStateName>;
  /** Expires up to `limit` overdue reservations; resolves how many it expired. */
  sweepExpired(limit?: number): Promise<number>;
}

export function createInventory(options: {
  pool: Pool;
  cache: ProductCache;
  reservationTtlMs: number;
}): Inventory {
  const { pool, cache } = options;

  async function reserve(orderId: string, requested: readonly StockItem[]): Promise<Reservation> {
    const items = validateReservation(orderId, requested);
    const outcome = await withTransaction(pool, async (client) => {
      const expiresAt = await claimReservation(client, orderId, options.reservationTtlMs);
      if (!expiresAt) return { fresh: false, reservation: await readReservation(client, orderId) };
      const lines = await reserveLines(client, orderId, items);
      return {
        fresh: true,
        reservation: { orderId, state: "RESERVED" as const, expiresAt, lines },
      };
    });
    const reservation = outcome.reservation!;
    if (outcome.fresh) await cache.invalidate(items.map((i) => i.productId));
    else checkSameItems(reservation, items);
    return reservation;
  }

  async function settle(action: SettleAction, orderId: string): Promise<ReservationStateName> {
    validateOrderId(orderId);
    const outcome = await withTransaction(pool, async (client) => {
      if (action === "release" && (await claimTombstone(client, orderId))) {
        return { state: "RELEASED" as const, touched: [] as string[], late: false };
      }
      const current = await lockReservation(client, orderId);
      if (!current) throw ServiceError.notFound(`order ${orderId} has no reservation`);
      // A commit after the expiry time loses the race with the sweeper, deterministically.
      const late = action === "commit" && current.state === "RESERVED" && current.expired;
      const effective = late ? "expire" : action;
      const plan = planSettle(effective, current.state, orderId);
      if (plan.kind === "refuse") throw plan.error;
      if (plan.kind === "done") return { state: current.state, touched: [], late: false };
      const touched = await moveLines(client, orderId, plan.reason);
      await setReservationState(client, orderId, plan.to);
      return { state: plan.to, touched, late };
    });
    if (outcome.touched.length > 0) await cache.invalidate(outcome.touched);
    // The expiry is committed (the stock is back on sale); the commit itself fails.
    if (outcome.late) {
      throw stateConflict(orderId, "EXPIRED", "it expired before the commit; reserve again");
    }
    return outcome.state;
  }

  async function expireOne(): Promise<boolean> {
    const touched = await withTransaction(pool, async (client) => {
      const orderId = await lockNextExpired(client);
      if (orderId === undefined) return undefined;
      const moved = await moveLines(client, orderId, "EXPIRED");
      await setReservationState(client, orderId, "EXPIRED");
      return moved;
    });
    if (touched === undefined) return false;
    await cache.invalidate(touched);
    return true;
  }

  return {
    reserve,
    release: (orderId) => settle("release", orderId),
    commit: (orderId) => settle("commit", orderId),
    return: (orderId) => settle("return", orderId),
    async sweepExpired(limit = 100) {
      let expired = 0;
      while (expired < limit && (await expireOne())) expired += 1;
      return expired;
    },
  };
}

/** A stock row locked with the product it belongs to. */
interface LockedProduct extends StockLevels {
  product_id: string;
  name: string;
  price_minor: string;
  currency_code: string;
  active: boolean;
  deleted: boolean;
}

/** Checks and moves the stock of a new reservation, then records its lines. */
async function reserveLines(
  client: PoolClient,
  orderId: string,
  items: readonly StockItem[],
): Promise<ReservedLine[]> {
  const sorted = [...items].sort((a, b) => (a.productId < b.productId ? -1 : 1));
  const ids = sorted.map((i) => i.productId);
  // The stock rows locked in product id order (see lockStock), read with their products.
  const { rows } = await client.query<LockedProduct>(
    `SELECT s.product_id, s.available, s.reserved, s.sold, p.name, p.price_minor,
            p.currency_code, p.active, p.deleted_at IS NOT NULL AS deleted
       FROM stock s JOIN products p ON p.id = s.product_id
      WHERE s.product_id = ANY($1::uuid[])
      ORDER BY s.product_id
      FOR UPDATE OF s`,
    [ids],
  );
  const products = new Map(rows.map((r) => [r.product_id, r]));
  const unknown = ids.filter((id) => !products.get(id) || products.get(id)!.deleted);
  if (unknown.length > 0) {
    throw new ServiceError(Code.NOT_FOUND, `unknown products: ${unknown.join(", ")}`, {
      reason: "PRODUCT_NOT_FOUND",
      reasonMetadata: { product_ids: unknown.join(",") },
    });
  }
  const violations = sorted.flatMap((item) => {
    const product = products.get(item.productId)!;
    if (!product.active) {
      return [{ type: "PRODUCT_INACTIVE", subject: item.productId, description: "not for sale" }];
    }
    if (product.available >= item.quantity) return [];
    return [
      {
        type: "STOCK",
        subject: item.productId,
        description: `requested ${item.quantity}, available ${product.available}`,
      },
    ];
  });
  if (violations.length > 0) {
    throw new ServiceError(
      Code.FAILED_PRECONDITION,
      `not enough stock for order ${orderId}: ${violations.map((v) => `${v.subject} (${v.description})`).join("; ")}`,
      { preconditionViolations: violations, reason: "INSUFFICIENT_STOCK" },
    );
  }
  await moveStocks(
    client,
    sorted.map((item) => ({
      productId: item.productId,
      reason: "RESERVED" as const,
      quantity: item.quantity,
      before: products.get(item.productId)!,
      orderId,
    })),
  );
  const lines = sorted.map((item) => {
    const product = products.get(item.productId)!;
    return {
      productId: item.productId,
      quantity: item.quantity,
      productName: product.name,
      priceMinor: BigInt(product.price_minor),
      currencyCode: product.currency_code,
    };
  });
  await insertLines(client, orderId, lines);
  return lines;
}

/** Moves every line of the reservation for `reason`; returns the product ids. */
async function moveLines(
  client: PoolClient,
  orderId: string,
  reason: SettleReason,
): Promise<string[]> {
  // The lines with their stock rows, locked in product id order (see lockStock).
  const { rows } = await client.query<StockLevels & { product_id: string; quantity: number }>(
    `SELECT s.product_id, s.available, s.reserved, s.sold, i.quantity
       FROM reservation_items i JOIN stock s ON s.product_id = i.product_id
      WHERE i.order_id = $1
      ORDER BY s.product_id
      FOR UPDATE OF s`,
    [orderId],
  );
  await moveStocks(
    client,
    rows.map((row) => ({
      productId: row.product_id,
      reason,
      quantity: row.quantity,
      before: row,
      orderId,
    })),
  );
  return rows.map((r) => r.product_id);
}

/** A repeat must ask for what the first call reserved: an order id is not reusable. */
function checkSameItems(reservation: Reservation, items: readonly StockItem[]): void {
  if (reservation.lines.length === 0) return;
  const key = (list: readonly { productId: string; quantity: number }[]) =>
    list
      .map((l) => `${l.productId}:${l.quantity}`)
      .sort()
      .join(",");
  if (key(reservation.lines) !== key(items)) {
    throw new ServiceError(
      Code.FAILED_PRECONDITION,
      `order ${reservation.orderId} already has a reservation of other items`,
      {
        preconditionViolations: [
          {
            type: "RESERVATION_ITEMS",
            subject: reservation.orderId,
            description: "differs from the reservation made for this order id",
          },
        ],
        reason: "RESERVATION_MISMATCH",
      },
    );
  }
}

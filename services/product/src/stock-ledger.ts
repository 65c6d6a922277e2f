/**
 * Every stock movement goes through here: one UPDATE of the product's stock row, one
 * ledger row with the deltas and the levels after, and one StockChanged event in the
 * outbox, all in the caller's transaction. Movements other than adjustments only move
 * units between available, reserved and sold, so their sum is conserved.
 */
import type { PoolClient } from "pg";
import { type StockChange, type StockReason, writeStockChanged } from "./product-events";

export interface StockLevels {
  available: number;
  reserved: number;
  sold: number;
}

/** The deltas of moving `quantity` units for `reason` (for ADJUSTED, a signed delta). */
export function movement(reason: StockReason, quantity: number): StockLevels {
  switch (reason) {
    case "RESERVED":
      return { available: -quantity, reserved: quantity, sold: 0 };
    case "RELEASED":
    case "EXPIRED":
      return { available: quantity, reserved: -quantity, sold: 0 };
    case "COMMITTED":
      return { available: 0, reserved: -quantity, sold: quantity };
    case "RETURNED":
      return { available: quantity, reserved: 0, sold: -quantity };
    case "ADJUSTED":
      return { available: quantity, reserved: 0, sold: 0 };
  }
}

/**
 * Locks the stock rows of `productIds` in product id order, the one order every
 * transaction uses, so two transactions touching the same products cannot deadlock.
 * Products without a stock row (unknown ids) are missing from the result.
 */
export async function lockStock(
  client: PoolClient,
  productIds: readonly string[],
): Promise<Map<string, StockLevels>> {
  const { rows } = await client.query<StockLevels & { product_id: string }>(
    `SELECT product_id, available, reserved, sold FROM stock
      WHERE product_id = ANY($1::uuid[])
      ORDER BY product_id
      FOR UPDATE`,
    [[...productIds]],
  );
  return new Map(rows.map((r) => [r.product_id, r]));
}

/**
 * Applies one movement to a stock row the caller has locked, and records it. The
 * table's CHECKs reject a level below zero, so a bug cannot oversell silently.
 */
export async function moveStock(
  client: PoolClient,
  input: {
    productId: string;
    reason: StockReason;
    quantity: number;
    orderId?: string;
    note?: string;
  },
): Promise<StockLevels> {
  const delta = movement(input.reason, input.quantity);
  const { rows } = await client.query<StockLevels>(
    `UPDATE stock
        SET available = available + $2, reserved = reserved + $3, sold = sold + $4
      WHERE product_id = $1
      RETURNING available, reserved, sold`,
    [input.productId, delta.available, delta.reserved, delta.sold],
  );
  const after = rows[0]!;
  const change: StockChange = {
    productId: input.productId,
    reason: input.reason,
    orderId: input.orderId,
    availableDelta: delta.available,
    reservedDelta: delta.reserved,
    soldDelta: delta.sold,
    ...after,
  };
  await client.query(
    `INSERT INTO stock_ledger (product_id, order_id, reason, available_delta, reserved_delta,
                               sold_delta, available, reserved, sold, note)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      change.productId,
      change.orderId ?? null,
      change.reason,
      change.availableDelta,
      change.reservedDelta,
      change.soldDelta,
      change.available,
      change.reserved,
      change.sold,
      input.note ?? "",
    ],
  );
  await writeStockChanged(client, change);
  return after;
}

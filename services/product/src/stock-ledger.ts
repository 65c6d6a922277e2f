/**
 * Every stock movement goes through here: the UPDATE of the product's stock row, one
 * ledger row with the deltas and the levels after, and one StockChanged event in the
 * outbox, all in the caller's transaction and, for any number of products, in one
 * statement (the stock rows are locked, so every round trip is time others wait).
 * Movements other than adjustments only move units between available, reserved and
 * sold, so their sum is conserved.
 */
import { outboxInsert } from "@shop/libs/events";
import type { PoolClient } from "pg";
import { type StockChange, type StockReason, stockChangedEvent } from "./product-events";

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

export interface StockMove {
  productId: string;
  reason: StockReason;
  /** Units moved; for ADJUSTED, a signed delta of available. */
  quantity: number;
  /** The levels of the row as the caller locked it (lockStock). */
  before: StockLevels;
  orderId?: string;
  note?: string;
}

/**
 * Applies movements to stock rows the caller has locked, one per product, in one
 * statement: the UPDATEs, their ledger rows and their StockChanged events. The levels
 * after are the locked levels plus the deltas (nothing else can change a locked row);
 * the event carries them, and the statement's own result must agree. The table's CHECKs
 * reject a level below zero, so a bug cannot oversell silently.
 */
export async function moveStocks(
  client: PoolClient,
  moves: readonly StockMove[],
): Promise<Map<string, StockLevels>> {
  if (moves.length === 0) return new Map();
  if (new Set(moves.map((m) => m.productId)).size !== moves.length) {
    throw new Error("moveStocks: one movement per product");
  }
  const changes: StockChange[] = moves.map((move) => {
    const delta = movement(move.reason, move.quantity);
    return {
      productId: move.productId,
      reason: move.reason,
      orderId: move.orderId,
      availableDelta: delta.available,
      reservedDelta: delta.reserved,
      soldDelta: delta.sold,
      available: move.before.available + delta.available,
      reserved: move.before.reserved + delta.reserved,
      sold: move.before.sold + delta.sold,
    };
  });
  const events = outboxInsert(changes.map(stockChangedEvent), 8);
  const { rows } = await client.query<StockLevels & { product_id: string }>(
    `WITH moves AS (
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::int[], $6::int[],
                            $7::text[])
              AS m(product_id, order_id, reason, available_delta, reserved_delta, sold_delta, note)),
     moved AS (
       UPDATE stock s
          SET available = s.available + m.available_delta,
              reserved = s.reserved + m.reserved_delta,
              sold = s.sold + m.sold_delta
         FROM moves m
        WHERE s.product_id = m.product_id
       RETURNING s.product_id, s.available, s.reserved, s.sold),
     ledger AS (
       INSERT INTO stock_ledger (product_id, order_id, reason, available_delta, reserved_delta,
                                 sold_delta, available, reserved, sold, note)
       SELECT m.product_id, m.order_id, m.reason, m.available_delta, m.reserved_delta,
              m.sold_delta, moved.available, moved.reserved, moved.sold, m.note
         FROM moves m JOIN moved USING (product_id)),
     events AS (${events.sql})
     SELECT product_id, available, reserved, sold FROM moved`,
    [
      changes.map((c) => c.productId),
      changes.map((c) => c.orderId ?? null),
      changes.map((c) => c.reason),
      changes.map((c) => c.availableDelta),
      changes.map((c) => c.reservedDelta),
      changes.map((c) => c.soldDelta),
      moves.map((m) => m.note ?? ""),
      ...events.values,
    ],
  );
  const after = new Map(rows.map((r) => [r.product_id, r]));
  for (const change of changes) {
    const row = after.get(change.productId);
    if (
      row?.available !== change.available ||
      row.reserved !== change.reserved ||
      row.sold !== change.sold
    ) {
      // The row was not locked, or does not exist: roll back rather than publish a lie.
      throw new Error(
        `stock of ${change.productId} moved from levels other than the locked ones (${JSON.stringify(row)})`,
      );
    }
  }
  return after;
}

/** Locks one product's stock row and moves it: for callers that did not lock it first. */
export async function moveStock(
  client: PoolClient,
  move: Omit<StockMove, "before">,
): Promise<StockLevels> {
  const before = (await lockStock(client, [move.productId])).get(move.productId);
  if (!before) throw new Error(`product ${move.productId} has no stock row`);
  return (await moveStocks(client, [{ ...move, before }])).get(move.productId)!;
}

/** SQL of reservations and their items. Callers pass the client of their transaction. */
import type { PoolClient } from "pg";
import type { Queryable } from "./product-repository";
import type { ReservationStateName } from "./reservation-state";

/** One reserved line with the name and price it was reserved at. */
export interface ReservedLine {
  productId: string;
  quantity: number;
  productName: string;
  priceMinor: bigint;
  currencyCode: string;
}

export interface Reservation {
  orderId: string;
  state: ReservationStateName;
  /** Null for a tombstone (released before anything was reserved). */
  expiresAt: Date | null;
  lines: ReservedLine[];
}

/**
 * Claims the order id for a new reservation. Returns its expiry, or undefined when the
 * order id already has a row (a repeat, or a tombstone): a concurrent claim of the same
 * id waits here for the first to commit or roll back.
 */
export async function claimReservation(
  client: PoolClient,
  orderId: string,
  ttlMs: number,
): Promise<Date | undefined> {
  const { rows } = await client.query<{ expires_at: Date }>(
    `INSERT INTO reservations (order_id, state, expires_at)
     VALUES ($1, 'RESERVED', now() + make_interval(secs => $2))
     ON CONFLICT (order_id) DO NOTHING
     RETURNING expires_at`,
    [orderId, ttlMs / 1000],
  );
  return rows[0]?.expires_at;
}

/** Records a release of an order id that has no reservation; false when it has one. */
export async function claimTombstone(client: PoolClient, orderId: string): Promise<boolean> {
  const { rowCount } = await client.query(
    `INSERT INTO reservations (order_id, state) VALUES ($1, 'RELEASED')
     ON CONFLICT (order_id) DO NOTHING`,
    [orderId],
  );
  return rowCount === 1;
}

/** Locks the reservation; `expired` is judged by the database clock. */
export async function lockReservation(
  client: PoolClient,
  orderId: string,
): Promise<{ state: ReservationStateName; expired: boolean } | undefined> {
  const { rows } = await client.query<{ state: ReservationStateName; expired: boolean }>(
    `SELECT state, coalesce(expires_at <= now(), false) AS expired
       FROM reservations WHERE order_id = $1 FOR UPDATE`,
    [orderId],
  );
  return rows[0];
}

/** The next open reservation past its expiry that no one else is settling now. */
export async function lockNextExpired(client: PoolClient): Promise<string | undefined> {
  const { rows } = await client.query<{ order_id: string }>(
    `SELECT order_id FROM reservations
      WHERE state = 'RESERVED' AND expires_at <= now()
      ORDER BY expires_at
      LIMIT 1
      FOR UPDATE SKIP LOCKED`,
  );
  return rows[0]?.order_id;
}

export async function setReservationState(
  client: PoolClient,
  orderId: string,
  state: ReservationStateName,
): Promise<void> {
  await client.query("UPDATE reservations SET state = $2, updated_at = now() WHERE order_id = $1", [
    orderId,
    state,
  ]);
}

export async function insertLines(
  client: PoolClient,
  orderId: string,
  lines: readonly ReservedLine[],
): Promise<void> {
  await client.query(
    `INSERT INTO reservation_items
       (order_id, product_id, quantity, product_name, unit_price_minor, currency_code)
     SELECT $1::text, * FROM unnest($2::uuid[], $3::int[], $4::text[], $5::bigint[], $6::text[])`,
    [
      orderId,
      lines.map((l) => l.productId),
      lines.map((l) => l.quantity),
      lines.map((l) => l.productName),
      lines.map((l) => l.priceMinor.toString()),
      lines.map((l) => l.currencyCode),
    ],
  );
}

/** The reservation with its lines in product id order, or undefined. */
export async function readReservation(
  db: Queryable,
  orderId: string,
): Promise<Reservation | undefined> {
  const head = await db.query<{ state: ReservationStateName; expires_at: Date | null }>(
    "SELECT state, expires_at FROM reservations WHERE order_id = $1",
    [orderId],
  );
  const row = head.rows[0];
  if (!row) return undefined;
  const { rows } = await db.query<{
    product_id: string;
    quantity: number;
    product_name: string;
    unit_price_minor: string;
    currency_code: string;
  }>(
    `SELECT product_id, quantity, product_name, unit_price_minor, currency_code
       FROM reservation_items WHERE order_id = $1 ORDER BY product_id`,
    [orderId],
  );
  return {
    orderId,
    state: row.state,
    expiresAt: row.expires_at,
    lines: rows.map((r) => ({
      productId: r.product_id,
      quantity: r.quantity,
      productName: r.product_name,
      priceMinor: BigInt(r.unit_price_minor),
      currencyCode: r.currency_code,
    })),
  };
}

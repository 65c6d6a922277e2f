/**
 * How orders are read from the database: the column list every query selects, the
 * row shape it returns, and its conversion (with the order's items) to OrderRecord.
 */
import type { Pool, PoolClient } from "pg";
import type { PricedLine } from "./order-pricing";
import type { OrderItemRecord, OrderRecord } from "./order-record";
import type {
  OrderStatus,
  Outcome,
  PaymentState,
  SagaStep,
  StockState,
} from "./order-state-machine";

export const ORDER_COLUMNS = `id, seq::text AS seq, user_id, status, saga_step, outcome_status,
  status_reason, cancel_requested, cancel_reason, currency_code, total_minor::text AS total_minor,
  payment_token, payment_state, payment_authorization_id, stock_state, created_at, updated_at`;

export interface OrderRow {
  id: string;
  seq: string;
  user_id: string | null;
  status: OrderStatus;
  saga_step: SagaStep;
  outcome_status: Outcome | null;
  status_reason: string;
  cancel_requested: boolean;
  cancel_reason: string;
  currency_code: string | null;
  total_minor: string | null;
  payment_token: string | null;
  payment_state: PaymentState;
  payment_authorization_id: string | null;
  stock_state: StockState;
  created_at: Date;
  updated_at: Date;
}

interface ItemRow {
  order_id: string;
  product_id: string;
  quantity: number;
  product_name: string;
  unit_price_minor: string | null;
}

/** `items` with the names and prices of the reservation. */
export function priceItems(
  items: readonly OrderItemRecord[],
  priced: readonly PricedLine[],
): OrderItemRecord[] {
  const byProduct = new Map(priced.map((p) => [p.productId, p]));
  return items.map((item) => {
    const line = byProduct.get(item.productId);
    return line
      ? { ...item, productName: line.productName, unitPriceMinor: line.unitPriceMinor }
      : item;
  });
}

export function orderFromRow(row: OrderRow, items: readonly OrderItemRecord[]): OrderRecord {
  return {
    id: row.id,
    seq: BigInt(row.seq),
    userId: row.user_id,
    status: row.status,
    sagaStep: row.saga_step,
    outcomeStatus: row.outcome_status,
    statusReason: row.status_reason,
    cancelRequested: row.cancel_requested,
    cancelReason: row.cancel_reason,
    currencyCode: row.currency_code,
    totalMinor: row.total_minor === null ? null : BigInt(row.total_minor),
    paymentToken: row.payment_token,
    paymentState: row.payment_state,
    paymentAuthorizationId: row.payment_authorization_id,
    stockState: row.stock_state,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    items,
  };
}

/** A pool or a client inside a transaction. */
export type Queryable = Pick<Pool | PoolClient, "query">;

async function itemsOf(db: Queryable, orderIds: readonly string[]) {
  const { rows } = await db.query<ItemRow>(
    `SELECT order_id, product_id, quantity, product_name, unit_price_minor::text AS unit_price_minor
       FROM order_items WHERE order_id = ANY($1::uuid[]) ORDER BY order_id, position`,
    [orderIds],
  );
  const byOrder = new Map<string, OrderItemRecord[]>();
  for (const r of rows) {
    const list = byOrder.get(r.order_id) ?? [];
    list.push({
      productId: r.product_id,
      quantity: r.quantity,
      productName: r.product_name,
      unitPriceMinor: r.unit_price_minor === null ? null : BigInt(r.unit_price_minor),
    });
    byOrder.set(r.order_id, list);
  }
  return byOrder;
}

/** Orders of `rows` with their items, in the rows' order. */
export async function withItems(db: Queryable, rows: readonly OrderRow[]): Promise<OrderRecord[]> {
  if (rows.length === 0) return [];
  const items = await itemsOf(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => orderFromRow(r, items.get(r.id) ?? []));
}

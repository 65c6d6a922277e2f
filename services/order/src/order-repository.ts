/**
 * The orders database: orders with their items, the saga log and the idempotency
 * keys. SQL is parameterised with explicit column lists. Saga writes are fenced by the
 * lease (see saga-leases.ts): a run that lost its lease cannot write.
 */
import { withTransaction } from "@shop/libs/db";
import { type EnvelopeInput, outboxInsert, writeEvent } from "@shop/libs/events";
import type { Pool, PoolClient } from "pg";
import { type OrderEvent, orderEventInput } from "./order-events";
import type { PricedLine } from "./order-pricing";
import type { OrderItemRecord, OrderRecord } from "./order-record";
import type { OrderLineInput } from "./order-request";
import {
  ORDER_COLUMNS,
  type OrderRow,
  orderFromRow,
  priceItems,
  type Queryable,
  withItems,
} from "./order-rows";
import type {
  OrderStatus,
  Outcome,
  PaymentState,
  SagaStep,
  StockState,
} from "./order-state-machine";

/** How long an Idempotency-Key names its order. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1_000;

export interface NewOrder {
  readonly id: string;
  readonly userId: string;
  readonly lines: readonly OrderLineInput[];
  /** Names from the catalogue check, by product id. */
  readonly productNames: ReadonlyMap<string, string>;
  readonly paymentToken: string;
  /** The run that drives the new saga first, and for how long it may. */
  readonly lease: { readonly owner: string; readonly ms: number };
  readonly idempotency?: { readonly key: string; readonly requestHash: string };
}

export type CreateResult =
  | { readonly kind: "created"; readonly order: OrderRecord }
  /** The key was already used: by this request (same hash) or another one. */
  | { readonly kind: "existing"; readonly orderId: string; readonly requestHash: string };

/** Columns a saga step may change. */
export interface SagaFields {
  status?: OrderStatus;
  sagaStep?: SagaStep;
  outcomeStatus?: Outcome | null;
  statusReason?: string;
  paymentToken?: null;
  paymentState?: PaymentState;
  paymentAuthorizationId?: string | null;
  stockState?: StockState;
  currencyCode?: string;
  totalMinor?: bigint;
}

const FIELD_COLUMNS: Readonly<Record<keyof SagaFields, string>> = {
  status: "status",
  sagaStep: "saga_step",
  outcomeStatus: "outcome_status",
  statusReason: "status_reason",
  paymentToken: "payment_token",
  paymentState: "payment_state",
  paymentAuthorizationId: "payment_authorization_id",
  stockState: "stock_state",
  currencyCode: "currency_code",
  totalMinor: "total_minor",
};

export interface SagaChange {
  /** The saga log entry: what ran and how it ended. */
  readonly log: { readonly step: string; readonly outcome: string; readonly detail?: string };
  readonly set: SagaFields;
  /** Names and prices from the reservation. */
  readonly pricedLines?: readonly PricedLine[];
  readonly event?: OrderEvent;
}

/** The run's lease was taken over (it outlived its time): the run must stop. */
export class LeaseLostError extends Error {
  constructor(orderId: string) {
    super(`the saga lease of order ${orderId} was lost`);
    this.name = "LeaseLostError";
  }
}

export interface OrderRepository {
  /** Creates a PENDING order (and its key) with OrderCreated, or names the key's order. */
  create(order: NewOrder): Promise<CreateResult>;
  /** The order a live key names, if any. */
  findIdempotencyKey(
    userId: string,
    key: string,
  ): Promise<{ orderId: string; requestHash: string } | undefined>;
  get(orderId: string): Promise<OrderRecord | undefined>;
  /** A user's orders newest first, those with seq below `beforeSeq` when given. */
  listByUser(userId: string, beforeSeq: bigint | undefined, limit: number): Promise<OrderRecord[]>;
  /**
   * Applies a step's result to `current` (as the run knows it), renewing the lease for
   * `leaseMs` (or ending it when the saga is done); LeaseLostError when fenced out.
   */
  applySagaChange(
    current: OrderRecord,
    owner: string,
    change: SagaChange,
    leaseMs: number,
  ): Promise<OrderRecord>;
  /** Marks a PENDING order to be cancelled by whichever run drives it. */
  requestCancel(orderId: string, reason: string): Promise<void>;
  /** Deletes expired idempotency keys, at most `limit`; returns how many. */
  pruneIdempotencyKeys(limit: number): Promise<number>;
}

export function createOrderRepository(pool: Pool): OrderRepository {
  async function insertKey(
    client: PoolClient,
    order: NewOrder,
    idempotency: NonNullable<NewOrder["idempotency"]>,
  ): Promise<CreateResult | undefined> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const inserted = await client.query(
        `INSERT INTO idempotency_keys (user_id, key, request_hash, order_id, expires_at)
         VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))
         ON CONFLICT (user_id, key) DO NOTHING`,
        [
          order.userId,
          idempotency.key,
          idempotency.requestHash,
          order.id,
          IDEMPOTENCY_KEY_TTL_MS / 1e3,
        ],
      );
      if (inserted.rowCount === 1) return undefined;
      // Another request holds the key; the conflict waited for its commit, so it is visible
      // (unless it was pruned in between: then try again).
      const { rows } = await client.query<{
        order_id: string;
        request_hash: string;
        expired: boolean;
      }>(
        `SELECT order_id, request_hash, expires_at <= now() AS expired
           FROM idempotency_keys WHERE user_id = $1 AND key = $2`,
        [order.userId, idempotency.key],
      );
      const row = rows[0];
      if (row && !row.expired) {
        return { kind: "existing", orderId: row.order_id, requestHash: row.request_hash };
      }
      // An expired key is as good as absent: the new request takes it over.
      await client.query(
        "DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND expires_at <= now()",
        [order.userId, idempotency.key],
      );
    }
    throw new Error("the idempotency key kept changing while being claimed");
  }

  return {
    async create(order) {
      // The order as it will be stored: its OrderCreated event is written in the same
      // statement, so the timestamps are this process's clock rather than the database's.
      const now = new Date();
      const items = order.lines.map((l) => ({
        productId: l.productId,
        quantity: l.quantity,
        productName: order.productNames.get(l.productId) ?? "",
        unitPriceMinor: null,
      }));
      const created = (db: Queryable) =>
        insertOrder(db, order, items, now).then((row) => orderFromRow(row, items));
      if (!order.idempotency) return { kind: "created", order: await created(pool) };
      const idempotency = order.idempotency;
      return withTransaction(pool, async (client): Promise<CreateResult> => {
        const existing = await insertKey(client, order, idempotency);
        return existing ?? { kind: "created", order: await created(client) };
      });
    },

    async findIdempotencyKey(userId, key) {
      const { rows } = await pool.query<{ order_id: string; request_hash: string }>(
        `SELECT order_id, request_hash FROM idempotency_keys
          WHERE user_id = $1 AND key = $2 AND expires_at > now()`,
        [userId, key],
      );
      const row = rows[0];
      return row ? { orderId: row.order_id, requestHash: row.request_hash } : undefined;
    },

    async get(orderId) {
      const { rows } = await pool.query<OrderRow>(
        `SELECT ${ORDER_COLUMNS} FROM orders WHERE id = $1`,
        [orderId],
      );
      return (await withItems(pool, rows))[0];
    },

    async listByUser(userId, beforeSeq, limit) {
      const { rows } = await pool.query<OrderRow>(
        `SELECT ${ORDER_COLUMNS} FROM orders
          WHERE user_id = $1 AND ($2::bigint IS NULL OR seq < $2::bigint)
          ORDER BY seq DESC LIMIT $3`,
        [userId, beforeSeq?.toString() ?? null, limit],
      );
      return withItems(pool, rows);
    },

    async applySagaChange(current, owner, change, leaseMs) {
      const items = change.pricedLines
        ? priceItems(current.items, change.pricedLines)
        : current.items;
      const event = change.event;
      if (!event) {
        const [row] = await writeSagaChange(pool, current, owner, change, leaseMs);
        if (!row) throw new LeaseLostError(current.id);
        return orderFromRow(row, items);
      }
      // The event carries the order as this write leaves it. The run knows every column
      // the event shows except user_id, which an erasure may clear meanwhile: the one
      // statement is guarded on it, and when the guard (or the lease) fails, the change
      // is made in a transaction that writes the event from the row it updated.
      const updatedAt = new Date();
      const after = { ...current, ...change.set, items, updatedAt };
      const [row] = await writeSagaChange(pool, current, owner, change, leaseMs, {
        event: orderEventInput(event, after),
        updatedAt,
      });
      if (row) return orderFromRow(row, items);
      return withTransaction(pool, async (client) => {
        const [updated] = await writeSagaChange(client, current, owner, change, leaseMs);
        if (!updated) throw new LeaseLostError(current.id);
        const order = orderFromRow(updated, items);
        await writeEvent(client, orderEventInput(event, order));
        return order;
      });
    },

    async requestCancel(orderId, reason) {
      await pool.query(
        `UPDATE orders SET cancel_requested = true, cancel_reason = $2, updated_at = now()
          WHERE id = $1 AND status = 'PENDING' AND NOT cancel_requested`,
        [orderId, reason],
      );
    },

    async pruneIdempotencyKeys(limit) {
      const { rowCount } = await pool.query(
        `DELETE FROM idempotency_keys WHERE ctid IN (
           SELECT ctid FROM idempotency_keys WHERE expires_at <= now() LIMIT $1)`,
        [limit],
      );
      return rowCount ?? 0;
    },
  };
}

/**
 * One statement: the order, its items, the first saga log entry and OrderCreated, so a
 * new order is one round trip (in the caller's transaction when it has one).
 */
async function insertOrder(
  db: Queryable,
  order: NewOrder,
  items: readonly OrderItemRecord[],
  now: Date,
): Promise<OrderRow> {
  const event = orderEventInput(
    { type: "OrderCreated" },
    {
      id: order.id,
      userId: order.userId,
      status: "PENDING",
      items,
      currencyCode: null,
      totalMinor: null,
      statusReason: "",
      createdAt: now,
      updatedAt: now,
    },
  );
  const events = outboxInsert([event], 10);
  const { rows } = await db.query<OrderRow>(
    `WITH created AS (
       INSERT INTO orders (id, user_id, status, saga_step, payment_token, lease_owner,
                           lease_until, saga_runs, created_at, updated_at)
       VALUES ($1, $2, 'PENDING', 'RESERVE_STOCK', $3, $4,
               now() + make_interval(secs => $5), 1, $9, $9)
       RETURNING ${ORDER_COLUMNS}),
     items AS (
       INSERT INTO order_items (order_id, position, product_id, quantity, product_name)
       SELECT $1, ordinality, product_id, quantity, product_name
         FROM unnest($6::text[], $7::int[], $8::text[])
              WITH ORDINALITY AS t(product_id, quantity, product_name)),
     logged AS (
       INSERT INTO saga_log (order_id, step, outcome) VALUES ($1, 'CREATE', 'PENDING')),
     events AS (${events.sql})
     SELECT * FROM created`,
    [
      order.id,
      order.userId,
      order.paymentToken,
      order.lease.owner,
      order.lease.ms / 1e3,
      items.map((i) => i.productId),
      items.map((i) => i.quantity),
      items.map((i) => i.productName),
      now,
      ...events.values,
    ],
  );
  return rows[0]!;
}

/**
 * One statement applying a saga step's result: the order's columns, the lease (renewed,
 * or ended when the saga is done), the saga log entry and the items' prices. With
 * `guarded`, also the event, written only if the order's user_id is still the one the
 * run knows (the event shows it), and updated_at set to the event's time.
 */
function writeSagaChange(
  db: Queryable,
  current: OrderRecord,
  owner: string,
  change: SagaChange,
  leaseMs: number,
  guarded?: { event: EnvelopeInput; updatedAt: Date },
): Promise<OrderRow[]> {
  const sets: string[] = [];
  const values: unknown[] = [
    current.id,
    owner,
    change.log.step,
    change.log.outcome,
    change.log.detail ?? "",
  ];
  const param = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  for (const [field, value] of Object.entries(change.set)) {
    const column = FIELD_COLUMNS[field as keyof SagaFields];
    sets.push(`${column} = ${param(typeof value === "bigint" ? value.toString() : value)}`);
  }
  // A finished saga gives its lease back in the same write.
  if (change.set.sagaStep === "DONE") {
    sets.push("lease_owner = NULL", "lease_until = now()");
  } else {
    sets.push(`lease_until = now() + make_interval(secs => ${param(leaseMs / 1e3)})`);
  }
  sets.push(`updated_at = ${guarded ? param(guarded.updatedAt) : "now()"}`);
  const guard = guarded ? ` AND user_id IS NOT DISTINCT FROM ${param(current.userId)}` : "";
  let pricing = "";
  if (change.pricedLines) {
    const lines = change.pricedLines;
    const ids = param(lines.map((l) => l.productId));
    const names = param(lines.map((l) => l.productName));
    const prices = param(lines.map((l) => l.unitPriceMinor.toString()));
    pricing = `,
    priced AS (
      UPDATE order_items AS i SET product_name = t.name, unit_price_minor = t.price
        FROM updated, unnest(${ids}::text[], ${names}::text[], ${prices}::bigint[])
             AS t(product_id, name, price)
       WHERE i.order_id = updated.id AND i.product_id = t.product_id)`;
  }
  let events = "";
  if (guarded) {
    const insert = outboxInsert([guarded.event], values.length + 1, {
      onlyIf: "EXISTS (SELECT 1 FROM updated)",
    });
    values.push(...insert.values);
    events = `,
    events AS (${insert.sql})`;
  }
  return db
    .query<OrderRow>(
      `WITH updated AS (
      UPDATE orders SET ${sets.join(", ")}
       WHERE id = $1 AND lease_owner = $2${guard}
       RETURNING ${ORDER_COLUMNS}),
    logged AS (
      INSERT INTO saga_log (order_id, step, outcome, detail)
      SELECT id, $3::text, $4::text, $5::text FROM updated)${pricing}${events}
    SELECT * FROM updated`,
      values,
    )
    .then((result) => result.rows);
}

/**
 * Who drives a saga. A run holds a lease on the order row (owner, until) and renews it
 * with every step it persists, for as long as its next step may take; every write of
 * the run is fenced by the owner. Claims are single UPDATEs (or FOR UPDATE SKIP
 * LOCKED for the recovery scan), so concurrent instances never drive one saga twice,
 * and a crashed run's lease simply runs out.
 */
import type { Pool } from "pg";
import type { OrderRecord } from "./order-record";
import { ORDER_COLUMNS, type OrderRow, withItems } from "./order-rows";

export interface SagaLeases {
  /** Takes the lease of a saga with work left when nobody holds it. */
  claim(orderId: string, owner: string, leaseMs: number): Promise<OrderRecord | undefined>;
  /**
   * Starts refunding a CONFIRMED order: takes the lease and sets the REFUND step with
   * the cancellation reason, unless the order is no longer CONFIRMED and idle.
   */
  claimRefund(
    orderId: string,
    owner: string,
    reason: string,
    leaseMs: number,
  ): Promise<OrderRecord | undefined>;
  /**
   * Leases sagas with work left that have not moved, nor been run, for `idleMs`,
   * oldest first, skipping rows another instance is claiming right now.
   */
  claimStale(
    idleMs: number,
    limit: number,
    leaseMs: number,
  ): Promise<{ orderId: string; owner: string }[]>;
  /** Ends a run's lease so the next claimant need not wait for it to run out. */
  release(orderId: string, owner: string): Promise<void>;
}

export function createSagaLeases(pool: Pool): SagaLeases {
  return {
    async claim(orderId, owner, leaseMs) {
      const { rows } = await pool.query<OrderRow>(
        `UPDATE orders
            SET lease_owner = $2, lease_until = now() + make_interval(secs => $3),
                saga_runs = saga_runs + 1
          WHERE id = $1 AND saga_step <> 'DONE'
            AND (lease_until IS NULL OR lease_until < now())
          RETURNING ${ORDER_COLUMNS}`,
        [orderId, owner, leaseMs / 1e3],
      );
      return (await withItems(pool, rows))[0];
    },

    async claimRefund(orderId, owner, reason, leaseMs) {
      const { rows } = await pool.query<OrderRow>(
        `UPDATE orders
            SET lease_owner = $2, lease_until = now() + make_interval(secs => $3),
                saga_runs = saga_runs + 1, saga_step = 'REFUND', status_reason = $4,
                updated_at = now()
          WHERE id = $1 AND status = 'CONFIRMED' AND saga_step = 'DONE'
            AND (lease_until IS NULL OR lease_until < now())
          RETURNING ${ORDER_COLUMNS}`,
        [orderId, owner, leaseMs / 1e3, reason],
      );
      if (rows.length > 0) {
        await pool.query(
          "INSERT INTO saga_log (order_id, step, outcome, detail) VALUES ($1, 'REFUND', 'STARTED', $2)",
          [orderId, reason],
        );
      }
      return (await withItems(pool, rows))[0];
    },

    async claimStale(idleMs, limit, leaseMs) {
      const { rows } = await pool.query<{ id: string; lease_owner: string }>(
        `WITH stale AS (
           SELECT id FROM orders
            WHERE saga_step <> 'DONE'
              AND updated_at < now() - make_interval(secs => $1)
              AND (lease_until IS NULL OR lease_until < now() - make_interval(secs => $1))
            ORDER BY updated_at
            LIMIT $2
            FOR UPDATE SKIP LOCKED)
         UPDATE orders AS o
            SET lease_owner = gen_random_uuid(),
                lease_until = now() + make_interval(secs => $3),
                saga_runs = saga_runs + 1
           FROM stale WHERE o.id = stale.id
         RETURNING o.id, o.lease_owner`,
        [idleMs / 1e3, limit, leaseMs / 1e3],
      );
      return rows.map((r) => ({ orderId: r.id, owner: r.lease_owner }));
    },

    async release(orderId, owner) {
      await pool.query(
        // lease_until stays as the run's end: the recovery scan leaves a saga alone for
        // a while after any run, so one that keeps failing is not retried in a loop.
        "UPDATE orders SET lease_owner = NULL, lease_until = now() WHERE id = $1 AND lease_owner = $2",
        [orderId, owner],
      );
    },
  };
}

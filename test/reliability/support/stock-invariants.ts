/**
 * Stock conservation, checked in product-service's database and against the orders:
 * per product available + reserved + sold equals the baseline, the ledger's deltas add
 * up to the levels, nothing stays reserved once every saga ended, each order moved
 * each product at most once per reason, and the confirmed orders are exactly the
 * committed reservations with exactly the units sold.
 */
import type { TestMesh } from "../../support/test-mesh";
import { sql } from "./sql";

/** available + reserved + sold per product id. */
export type StockBaseline = ReadonlyMap<string, number>;

export interface StockCheck {
  figures: { products: number; conserved: number; unitsSold: number; committedOrders: number };
  violations: string[];
}

type Level = {
  product_id: string;
  available: number;
  reserved: number;
  sold: number;
};

export async function stockBaseline(mesh: TestMesh): Promise<StockBaseline> {
  const rows = await sql<Level>(
    mesh.databases["product-service"]!.url,
    "SELECT product_id::text, available, reserved, sold FROM stock",
  );
  return new Map(rows.map((r) => [r.product_id, r.available + r.reserved + r.sold]));
}

export async function checkStock(mesh: TestMesh, baseline: StockBaseline): Promise<StockCheck> {
  const products = mesh.databases["product-service"]!.url;
  const violations: string[] = [];
  const levels = await sql<Level>(
    products,
    "SELECT product_id::text, available, reserved, sold FROM stock",
  );
  let conserved = 0;
  for (const level of levels) {
    const total = level.available + level.reserved + level.sold;
    const initial = baseline.get(level.product_id);
    if (initial === undefined || total === initial) conserved++;
    else violations.push(`product ${level.product_id}: ${total} units, was ${initial}`);
    if (level.reserved !== 0) {
      violations.push(`product ${level.product_id}: ${level.reserved} units still reserved`);
    }
  }
  const ledger = await sql<{ product_id: string; a: number; r: number; s: number }>(
    products,
    `SELECT product_id::text, sum(available_delta)::int AS a, sum(reserved_delta)::int AS r,
            sum(sold_delta)::int AS s FROM stock_ledger GROUP BY product_id`,
  );
  const byProduct = new Map(levels.map((l) => [l.product_id, l]));
  for (const row of ledger) {
    const level = byProduct.get(row.product_id);
    if (!level || level.available !== row.a || level.reserved !== row.r || level.sold !== row.s) {
      violations.push(`product ${row.product_id}: ledger deltas do not add up to its levels`);
    }
  }
  const repeated = await sql<{ order_id: string; product_id: string; reason: string }>(
    products,
    `SELECT order_id, product_id::text, reason FROM stock_ledger WHERE order_id IS NOT NULL
      GROUP BY order_id, product_id, reason HAVING count(*) > 1`,
  );
  for (const r of repeated) {
    violations.push(`order ${r.order_id} moved product ${r.product_id} ${r.reason} twice`);
  }
  const open = await sql<{ order_id: string }>(
    products,
    "SELECT order_id FROM reservations WHERE state = 'RESERVED'",
  );
  for (const r of open) violations.push(`reservation of order ${r.order_id} is still RESERVED`);

  // Across the two services: confirmed orders <=> committed reservations, units sold.
  const committed = await sql<{ order_id: string; product_id: string; quantity: number }>(
    products,
    `SELECT r.order_id, i.product_id::text, i.quantity FROM reservations r
       JOIN reservation_items i ON i.order_id = r.order_id WHERE r.state = 'COMMITTED'`,
  );
  const confirmed = await sql<{ id: string }>(
    mesh.databases["order-service"]!.url,
    "SELECT id::text FROM orders WHERE status = 'CONFIRMED'",
  );
  const committedOrders = new Set(committed.map((c) => c.order_id));
  const confirmedOrders = new Set(confirmed.map((c) => c.id));
  for (const id of confirmedOrders) {
    if (!committedOrders.has(id))
      violations.push(`order ${id} is CONFIRMED without committed stock`);
  }
  for (const id of committedOrders) {
    if (!confirmedOrders.has(id))
      violations.push(`stock of order ${id} is sold but it is not CONFIRMED`);
  }
  const soldByOrders = new Map<string, number>();
  for (const c of committed) {
    soldByOrders.set(c.product_id, (soldByOrders.get(c.product_id) ?? 0) + c.quantity);
  }
  let unitsSold = 0;
  for (const level of levels) {
    unitsSold += level.sold;
    const expected = soldByOrders.get(level.product_id) ?? 0;
    if (level.sold !== expected) {
      violations.push(
        `product ${level.product_id}: sold ${level.sold}, committed orders ${expected}`,
      );
    }
  }
  return {
    figures: {
      products: levels.length,
      conserved,
      unitsSold,
      committedOrders: committedOrders.size,
    },
    violations,
  };
}

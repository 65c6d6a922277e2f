import { EventEnvelope, StockChanged, StockChangeReason } from "@shop/gen/ts/shop/events/v1/events";
import { withTransaction } from "@shop/libs/db";
import {
  createProduct,
  type ProductTestContext,
  startTestProductService,
} from "../test/product-test-service";
import { lockStock, moveStocks } from "./stock-ledger";

describe("moveStocks", () => {
  let t: ProductTestContext;
  beforeAll(async () => {
    t = await startTestProductService();
  });
  afterAll(() => t.stop());

  const levels = async (ids: readonly string[]) =>
    (
      await t.pool.query(
        "SELECT product_id, available, reserved, sold FROM stock WHERE product_id = ANY($1::uuid[])",
        [ids],
      )
    ).rows.sort((a, b) => (a.product_id < b.product_id ? -1 : 1));
  const ledgerOf = async (orderId: string) =>
    (
      await t.pool.query(
        `SELECT product_id, reason, available_delta, reserved_delta, sold_delta,
                available, reserved, sold, note
           FROM stock_ledger WHERE order_id = $1 ORDER BY id`,
        [orderId],
      )
    ).rows;
  const eventsOf = async (orderId: string) =>
    (await t.pool.query<{ envelope: Buffer }>("SELECT envelope FROM outbox ORDER BY id")).rows
      .map((r) => StockChanged.decode(EventEnvelope.decode(r.envelope).payload!.value))
      .filter((e) => e.orderId === orderId);

  it("moves several products in one statement: levels, one ledger row and one event each", async () => {
    const products = await Promise.all([createProduct(t, {}, 10), createProduct(t, {}, 20)]);
    const ids = products.map((p) => p.id).sort();
    const initial = new Map(products.map((p) => [p.id, p.availableStock]));
    const after = await withTransaction(t.pool, async (client) => {
      const locked = await lockStock(client, ids);
      return moveStocks(
        client,
        ids.map((productId, i) => ({
          productId,
          reason: "RESERVED" as const,
          quantity: i + 2,
          before: locked.get(productId)!,
          orderId: "ledger-many",
          note: "two at once",
        })),
      );
    });
    const expected = ids.map((productId, i) => ({
      product_id: productId,
      available: initial.get(productId)! - (i + 2),
      reserved: i + 2,
      sold: 0,
    }));
    expect(await levels(ids)).toEqual(expected);
    expect(Object.fromEntries(after)).toEqual(
      Object.fromEntries(expected.map((e) => [e.product_id, e])),
    );
    expect(await ledgerOf("ledger-many")).toEqual(
      expected.map((e, i) => ({
        ...e,
        reason: "RESERVED",
        available_delta: -(i + 2),
        reserved_delta: i + 2,
        sold_delta: 0,
        note: "two at once",
      })),
    );
    expect(await eventsOf("ledger-many")).toEqual(
      expected.map((e, i) => ({
        productId: e.product_id,
        reason: StockChangeReason.STOCK_CHANGE_REASON_RESERVED,
        orderId: "ledger-many",
        availableDelta: -(i + 2),
        reservedDelta: i + 2,
        soldDelta: 0,
        available: e.available,
        reserved: e.reserved,
        sold: e.sold,
      })),
    );
  });

  it("refuses levels other than the locked ones, and a product twice, writing nothing", async () => {
    const product = await createProduct(t, {}, 10);
    const move = {
      productId: product.id,
      reason: "COMMITTED" as const,
      quantity: 1,
      orderId: "ledger-stale",
    };
    // Stale levels (as if the row had not been locked): the event would carry wrong levels.
    await expect(
      withTransaction(t.pool, (client) =>
        moveStocks(client, [
          { ...move, reason: "RESERVED", before: { available: 9, reserved: 0, sold: 0 } },
        ]),
      ),
    ).rejects.toThrow(/moved from levels other than the locked ones/);
    // A commit of units never reserved breaks the reserved >= 0 CHECK.
    await expect(
      withTransaction(t.pool, (client) =>
        moveStocks(client, [{ ...move, before: { available: 10, reserved: 0, sold: 0 } }]),
      ),
    ).rejects.toThrow(/check constraint/);
    await expect(
      withTransaction(t.pool, (client) =>
        moveStocks(client, [
          { ...move, before: { available: 10, reserved: 0, sold: 0 } },
          { ...move, before: { available: 10, reserved: 0, sold: 0 } },
        ]),
      ),
    ).rejects.toThrow(/one movement per product/);
    expect(await levels([product.id])).toEqual([
      { product_id: product.id, available: 10, reserved: 0, sold: 0 },
    ]);
    expect(await ledgerOf("ledger-stale")).toEqual([]);
    expect(await eventsOf("ledger-stale")).toEqual([]);
  });
});

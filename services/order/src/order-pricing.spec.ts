import { priceOrder, type ReservedLine } from "./order-pricing";

const A = "a0000000-0000-4000-8000-000000000001";
const B = "b0000000-0000-4000-8000-000000000002";

function reserved(productId: string, quantity: number, overrides: Partial<ReservedLine> = {}) {
  return {
    productId,
    quantity,
    productName: `name of ${productId.slice(0, 1)}`,
    currencyCode: "EUR",
    unitPriceMinor: 250n,
    ...overrides,
  };
}

describe("priceOrder", () => {
  it("totals the reserved prices in minor units", () => {
    const result = priceOrder(
      [
        { productId: A, quantity: 3 },
        { productId: B, quantity: 1 },
      ],
      [reserved(B, 1, { unitPriceMinor: 999n }), reserved(A, 3)],
    );
    expect(result).toEqual({
      ok: true,
      currencyCode: "EUR",
      totalMinor: 1749n,
      lines: [
        { productId: A, productName: "name of a", unitPriceMinor: 250n },
        { productId: B, productName: "name of b", unitPriceMinor: 999n },
      ],
    });
  });

  it("refuses a reservation that does not match the order", () => {
    expect(priceOrder([{ productId: A, quantity: 2 }], [reserved(A, 1)])).toEqual({
      ok: false,
      reason: "the stock reservation did not match the order",
    });
    expect(priceOrder([{ productId: A, quantity: 1 }], [])).toMatchObject({ ok: false });
  });

  it("refuses mixed currencies, missing prices and totals beyond int64", () => {
    const lines = [
      { productId: A, quantity: 1 },
      { productId: B, quantity: 1 },
    ];
    expect(priceOrder(lines, [reserved(A, 1), reserved(B, 1, { currencyCode: "USD" })])).toEqual({
      ok: false,
      reason: "the items are priced in different currencies: order them separately",
    });
    expect(priceOrder(lines, [reserved(A, 1), reserved(B, 1, { currencyCode: "" })])).toEqual({
      ok: false,
      reason: "name of b has no valid price",
    });
    expect(
      priceOrder(
        [{ productId: A, quantity: 1000 }],
        [reserved(A, 1000, { unitPriceMinor: 2n ** 62n })],
      ),
    ).toEqual({ ok: false, reason: "the order total is too large" });
  });
});

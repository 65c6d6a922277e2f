/**
 * Prices an order from what ReserveStock answered: the names and unit prices at
 * reservation time, never anything the client sent. Money is int64 minor units in one
 * currency per order.
 */

/** A reserved line as product-service answers it. */
export interface ReservedLine {
  readonly productId: string;
  readonly quantity: number;
  readonly productName: string;
  readonly currencyCode: string;
  readonly unitPriceMinor: bigint;
}

export interface PricedLine {
  readonly productId: string;
  readonly productName: string;
  readonly unitPriceMinor: bigint;
}

export type PricingResult =
  | {
      ok: true;
      currencyCode: string;
      totalMinor: bigint;
      lines: readonly PricedLine[];
    }
  /** A reason the customer can read; the order cannot be placed as asked. */
  | { ok: false; reason: string };

const INT64_MAX = 2n ** 63n - 1n;
const CURRENCY = /^[A-Z]{3}$/;

/**
 * Matches the reservation against the ordered lines and totals it. Fails (with a
 * readable reason) when the lines do not match, the products are priced in different
 * currencies, or the total does not fit in int64.
 */
export function priceOrder(
  ordered: readonly { productId: string; quantity: number }[],
  reserved: readonly ReservedLine[],
): PricingResult {
  const byProduct = new Map(reserved.map((r) => [r.productId.toLowerCase(), r]));
  const lines: PricedLine[] = [];
  const currencies = new Set<string>();
  let totalMinor = 0n;
  for (const line of ordered) {
    const match = byProduct.get(line.productId);
    if (!match || match.quantity !== line.quantity) {
      return { ok: false, reason: "the stock reservation did not match the order" };
    }
    if (!CURRENCY.test(match.currencyCode) || match.unitPriceMinor < 0n) {
      return { ok: false, reason: `${match.productName || line.productId} has no valid price` };
    }
    currencies.add(match.currencyCode);
    totalMinor += match.unitPriceMinor * BigInt(line.quantity);
    lines.push({
      productId: line.productId,
      productName: match.productName,
      unitPriceMinor: match.unitPriceMinor,
    });
  }
  if (currencies.size !== 1) {
    return {
      ok: false,
      reason: "the items are priced in different currencies: order them separately",
    };
  }
  if (totalMinor > INT64_MAX) return { ok: false, reason: "the order total is too large" };
  return { ok: true, currencyCode: [...currencies][0]!, totalMinor, lines };
}

/**
 * The events product-service publishes on `events.product-service`, always written to
 * the outbox inside the transaction of the change they describe: ProductChanged for
 * catalog writes, StockChanged for every stock ledger row. The aggregate id of both is
 * the product id, which is also what the cache invalidation reads from the stream.
 */
import {
  ChangeKind,
  ProductChanged,
  StockChanged,
  StockChangeReason,
} from "@shop/gen/ts/shop/events/v1/events";
import type { Product } from "@shop/gen/ts/shop/product/v1/product";
import { type EnvelopeInput, packEvent, writeEvent } from "@shop/libs/events";
import type { PoolClient } from "pg";

export const PRODUCER = "product-service";
export const PRODUCT_CHANGED = "shop.events.v1.ProductChanged";
export const STOCK_CHANGED = "shop.events.v1.StockChanged";

/** Why stock moved; the names of the ledger's reason column. */
export type StockReason =
  | "RESERVED"
  | "RELEASED"
  | "COMMITTED"
  | "RETURNED"
  | "EXPIRED"
  | "ADJUSTED";

const REASONS: Record<StockReason, StockChangeReason> = {
  RESERVED: StockChangeReason.STOCK_CHANGE_REASON_RESERVED,
  RELEASED: StockChangeReason.STOCK_CHANGE_REASON_RELEASED,
  COMMITTED: StockChangeReason.STOCK_CHANGE_REASON_COMMITTED,
  RETURNED: StockChangeReason.STOCK_CHANGE_REASON_RETURNED,
  EXPIRED: StockChangeReason.STOCK_CHANGE_REASON_EXPIRED,
  ADJUSTED: StockChangeReason.STOCK_CHANGE_REASON_ADJUSTED,
};

const KINDS = {
  created: ChangeKind.CHANGE_KIND_CREATED,
  updated: ChangeKind.CHANGE_KIND_UPDATED,
  deleted: ChangeKind.CHANGE_KIND_DELETED,
} as const;

/**
 * The product after the write (before it, for a delete). `version` is the version the
 * write produced (for a delete, one above the product's), so consumers can order events.
 */
export async function writeProductChanged(
  client: PoolClient,
  kind: keyof typeof KINDS,
  product: Product,
  version: bigint = product.version,
): Promise<void> {
  await writeEvent(client, {
    producer: PRODUCER,
    aggregateId: product.id,
    ...packEvent(ProductChanged, PRODUCT_CHANGED, {
      productId: product.id,
      kind: KINDS[kind],
      version,
      product,
    }),
  });
}

export interface StockChange {
  productId: string;
  reason: StockReason;
  orderId: string | undefined;
  availableDelta: number;
  reservedDelta: number;
  soldDelta: number;
  available: number;
  reserved: number;
  sold: number;
}

/** The StockChanged event of one ledger row, for the outbox insert of the movement. */
export function stockChangedEvent(change: StockChange): EnvelopeInput {
  return {
    producer: PRODUCER,
    aggregateId: change.productId,
    ...packEvent(StockChanged, STOCK_CHANGED, {
      ...change,
      reason: REASONS[change.reason],
      orderId: change.orderId ?? "",
    }),
  };
}

/** The rules of the contract's field comments for the inventory RPCs. */
import type { StockItem } from "@shop/gen/ts/shop/product/v1/product";
import { checkUuid, Violations } from "./product-validation";

/** Order ids are the reservation's idempotency key: plain, bounded, safe to log. */
const ORDER_ID = /^[A-Za-z0-9._:-]{1,128}$/;
export const MAX_ITEMS = 50;
export const MAX_QUANTITY = 1000;

export function checkOrderId(v: Violations, orderId: string): void {
  if (orderId === "") v.add("order_id", "required");
  else if (!ORDER_ID.test(orderId)) v.add("order_id", "1-128 characters of A-Z a-z 0-9 . _ : -");
}

/** Just the order id (ReleaseStock, CommitStock, ReturnStock); throws INVALID_ARGUMENT. */
export function validateOrderId(orderId: string): string {
  const v = new Violations();
  checkOrderId(v, orderId);
  v.throwIfAny();
  return orderId;
}

/** ReserveStock's order id and items; throws INVALID_ARGUMENT naming each bad field. */
export function validateReservation(orderId: string, items: readonly StockItem[]): StockItem[] {
  const v = new Violations();
  checkOrderId(v, orderId);
  if (items.length === 0) v.add("items", "required: at least one item");
  if (items.length > MAX_ITEMS) v.add("items", `at most ${MAX_ITEMS} items`);
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    checkUuid(v, `items[${i}].product_id`, item.productId);
    const first = seen.get(item.productId.toLowerCase());
    if (first !== undefined && item.productId !== "") {
      v.add(`items[${i}].product_id`, `repeats items[${first}].product_id: one line per product`);
    } else {
      seen.set(item.productId.toLowerCase(), i);
    }
    if (item.quantity < 1 || item.quantity > MAX_QUANTITY) {
      v.add(`items[${i}].quantity`, `must be 1-${MAX_QUANTITY}`);
    }
  });
  v.throwIfAny();
  // Lower case: PostgreSQL prints UUIDs so, and responses must name ids as stored.
  return items.map((item) => ({
    productId: item.productId.toLowerCase(),
    quantity: item.quantity,
  }));
}

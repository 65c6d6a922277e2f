/**
 * Validation of the order-service requests, and the canonical form of a CreateOrder
 * request that its Idempotency-Key is bound to.
 */
import { createHash } from "node:crypto";
import type { CreateOrderRequest } from "@shop/gen/ts/shop/order/v1/order";
import { type FieldViolation, ServiceError } from "@shop/libs/errors";

/** The test provider's approving token: what an order without a payment token pays with. */
export const DEFAULT_PAYMENT_TOKEN = "tok_approve";

export const MAX_LINES = 50;
export const MAX_QUANTITY = 1000;
const MAX_REASON = 200;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Provider tokens: a prefix and opaque characters. A bare run of digits is refused with
// its own message, because that is what a card number pasted by mistake looks like.
const PAYMENT_TOKEN = /^[a-z]{2,10}_[A-Za-z0-9_-]{1,200}$/;
const DIGITS = /^[\d\s-]{8,}$/;

export interface OrderLineInput {
  readonly productId: string;
  readonly quantity: number;
}

export interface CreateOrderInput {
  /** One line per product, in request order. */
  readonly lines: readonly OrderLineInput[];
  readonly paymentToken: string;
  /** sha256 of the canonical request: the same order asked twice hashes the same. */
  readonly requestHash: string;
}

/**
 * Checks a CreateOrder request: the seed's `{product_id, quantity}` pair or `items`,
 * never both; UUIDs, quantities 1-1000, 1-50 lines each naming a product once, and a
 * provider token (never card data). Throws INVALID_ARGUMENT naming every bad field.
 */
export function parseCreateOrder(request: CreateOrderRequest): CreateOrderInput {
  const violations: FieldViolation[] = [];
  const single = request.productId !== "" || request.quantity !== 0;
  let lines: OrderLineInput[] = [];
  if (single && request.items.length > 0) {
    violations.push({
      field: "items",
      description: "give either product_id and quantity or items, not both",
    });
  } else if (single) {
    checkLine(request.productId, request.quantity, "", violations);
    lines = [{ productId: request.productId.toLowerCase(), quantity: request.quantity }];
  } else if (request.items.length === 0) {
    violations.push({ field: "items", description: "required: product_id and quantity, or items" });
  } else if (request.items.length > MAX_LINES) {
    violations.push({ field: "items", description: `at most ${MAX_LINES} lines` });
  } else {
    const seen = new Set<string>();
    request.items.forEach((item, i) => {
      checkLine(item.productId, item.quantity, `items[${i}].`, violations);
      const id = item.productId.toLowerCase();
      if (seen.has(id) && UUID.test(id)) {
        violations.push({
          field: `items[${i}].product_id`,
          description: "duplicate product: put the whole quantity on one line",
        });
      }
      seen.add(id);
      lines.push({ productId: id, quantity: item.quantity });
    });
  }
  const paymentToken = request.paymentToken === "" ? DEFAULT_PAYMENT_TOKEN : request.paymentToken;
  if (DIGITS.test(paymentToken)) {
    violations.push({
      field: "payment_token",
      description: "must be a payment provider token such as tok_approve, never a card number",
    });
  } else if (!PAYMENT_TOKEN.test(paymentToken)) {
    violations.push({
      field: "payment_token",
      description: "must be a payment provider token such as tok_approve",
    });
  }
  if (violations.length > 0) throw ServiceError.invalidArgument(violations);
  return { lines, paymentToken, requestHash: requestHash(lines, paymentToken) };
}

function checkLine(
  productId: string,
  quantity: number,
  prefix: string,
  violations: FieldViolation[],
): void {
  if (productId === "") {
    violations.push({ field: `${prefix}product_id`, description: "required" });
  } else if (!UUID.test(productId)) {
    violations.push({ field: `${prefix}product_id`, description: "must be a UUID" });
  }
  if (!Number.isInteger(quantity) || quantity < 1 || quantity > MAX_QUANTITY) {
    violations.push({ field: `${prefix}quantity`, description: `must be 1-${MAX_QUANTITY}` });
  }
}

/**
 * The canonical request: lines sorted by product, so `{product_id, quantity}` and the
 * same single line in `items` are the same request, and so is a reordered list.
 */
function requestHash(lines: readonly OrderLineInput[], paymentToken: string): string {
  const canonical = [...lines]
    .sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0))
    .map((l) => [l.productId, l.quantity]);
  return createHash("sha256")
    .update(JSON.stringify({ v: 1, lines: canonical, paymentToken }))
    .digest("hex");
}

/** A required order id: INVALID_ARGUMENT unless it is a UUID. */
export function parseOrderId(orderId: string, field = "order_id"): string {
  if (orderId === "") throw ServiceError.invalidArgument([{ field, description: "required" }]);
  if (!UUID.test(orderId)) {
    throw ServiceError.invalidArgument([{ field, description: "must be a UUID" }]);
  }
  return orderId.toLowerCase();
}

/** CancelOrder's optional reason, at most 200 characters. */
export function parseCancelReason(reason: string): string {
  const trimmed = reason.trim();
  if ([...trimmed].length > MAX_REASON) {
    throw ServiceError.invalidArgument([
      { field: "reason", description: `at most ${MAX_REASON} characters` },
    ]);
  }
  return trimmed;
}

/**
 * order-service's gateway to product-service: the catalogue check before an order is
 * placed, and the stock steps of the saga. Calls go only through the generated client;
 * every call carries its own timeout, shorter than what its caller has left.
 */
import {
  type ProductServiceService,
  ReservationState,
  type ReservedItem,
} from "@shop/gen/ts/shop/product/v1/product";
import { Code, ServiceError } from "@shop/libs/errors";
import type { CallerContext, GrpcClient } from "@shop/libs/grpc";
import type { ReservedLine } from "./order-pricing";
import type { OrderLineInput } from "./order-request";

/** The generated product-service client, as the runtime creates it. */
export type ProductClient = GrpcClient<typeof ProductServiceService>;

/** How one saga step calls product-service. */
export interface StepCall {
  readonly timeoutMs: number;
  /** Aborted when the service stops. */
  readonly signal: AbortSignal;
  readonly requestId?: string;
}

export type ReservationStatus =
  | "RESERVED"
  | "RELEASED"
  | "COMMITTED"
  | "RETURNED"
  | "EXPIRED"
  | "UNKNOWN";

export interface Reservation {
  readonly state: ReservationStatus;
  readonly items: readonly ReservedLine[];
}

export interface ProductInventory {
  /**
   * The names of the ordered products, checked before an order exists: NOT_FOUND
   * naming the line of an unknown product, UNAVAILABLE when product-service cannot say.
   */
  lookupProducts(
    lines: readonly OrderLineInput[],
    ctx: CallerContext,
    timeoutMs: number,
  ): Promise<Map<string, string>>;
  reserve(orderId: string, lines: readonly OrderLineInput[], call: StepCall): Promise<Reservation>;
  release(orderId: string, call: StepCall): Promise<ReservationStatus>;
  commit(orderId: string, call: StepCall): Promise<ReservationStatus>;
  returnStock(orderId: string, call: StepCall): Promise<ReservationStatus>;
}

export function createProductInventory(client: ProductClient): ProductInventory {
  const options = (call: StepCall) => ({
    timeoutMs: call.timeoutMs,
    signal: call.signal,
    ...(call.requestId ? { ctx: { requestId: call.requestId } } : {}),
  });
  return {
    async lookupProducts(lines, ctx, timeoutMs) {
      const names = new Map<string, string>();
      await Promise.all(
        lines.map(async (line, i) => {
          try {
            const { product } = await client.getProduct(
              { productId: line.productId },
              { ctx, timeoutMs },
            );
            names.set(line.productId, product?.name ?? "");
          } catch (error) {
            throw lookupError(error, lines.length === 1 ? "product_id" : `items[${i}].product_id`);
          }
        }),
      );
      return names;
    },
    async reserve(orderId, lines, call) {
      const response = await client.reserveStock(
        { orderId, items: lines.map((l) => ({ productId: l.productId, quantity: l.quantity })) },
        options(call),
      );
      return { state: reservationStatus(response.state), items: response.items.map(reservedLine) };
    },
    async release(orderId, call) {
      return reservationStatus((await client.releaseStock({ orderId }, options(call))).state);
    },
    async commit(orderId, call) {
      return reservationStatus((await client.commitStock({ orderId }, options(call))).state);
    },
    async returnStock(orderId, call) {
      return reservationStatus((await client.returnStock({ orderId }, options(call))).state);
    },
  };
}

function lookupError(error: unknown, field: string): ServiceError {
  const cause = error instanceof ServiceError ? error : undefined;
  if (cause?.code === Code.NOT_FOUND) {
    return new ServiceError(Code.NOT_FOUND, `${field}: no such product`, {
      cause,
      fieldViolations: [{ field, description: "no such product" }],
    });
  }
  if (cause?.code === Code.INVALID_ARGUMENT) {
    return ServiceError.invalidArgument([{ field, description: cause.message }]);
  }
  return new ServiceError(
    Code.UNAVAILABLE,
    "the product catalogue is unavailable: no order was placed, try again",
    { cause: error, retryAfterMs: 1_000 },
  );
}

function reservedLine(item: ReservedItem): ReservedLine {
  return {
    productId: item.productId,
    quantity: item.quantity,
    productName: item.productName,
    currencyCode: item.unitPrice?.currencyCode ?? "",
    unitPriceMinor: item.unitPrice?.amountMinor ?? -1n,
  };
}

function reservationStatus(state: ReservationState): ReservationStatus {
  switch (state) {
    case ReservationState.RESERVATION_STATE_RESERVED:
      return "RESERVED";
    case ReservationState.RESERVATION_STATE_RELEASED:
      return "RELEASED";
    case ReservationState.RESERVATION_STATE_COMMITTED:
      return "COMMITTED";
    case ReservationState.RESERVATION_STATE_RETURNED:
      return "RETURNED";
    case ReservationState.RESERVATION_STATE_EXPIRED:
      return "EXPIRED";
    default:
      return "UNKNOWN";
  }
}

/**
 * An order as stored, and its conversion to the contract's `Order` message. The
 * stored form carries the saga's bookkeeping (step, resource states, lease) that the
 * contract does not show.
 */
import { type Order, OrderStatus as OrderStatusProto } from "@shop/gen/ts/shop/order/v1/order";
import type {
  OrderStatus,
  Outcome,
  PaymentState,
  SagaState,
  SagaStep,
  StockState,
} from "./order-state-machine";

export interface OrderItemRecord {
  readonly productId: string;
  readonly quantity: number;
  /** The name when the order was placed, then the name at reservation. */
  readonly productName: string;
  /** Known once ReserveStock priced the line. */
  readonly unitPriceMinor: bigint | null;
}

export interface OrderRecord extends SagaState {
  readonly id: string;
  /** Insertion order, the ListOrders cursor. */
  readonly seq: bigint;
  /** null once the user erased their account. */
  readonly userId: string | null;
  readonly status: OrderStatus;
  readonly sagaStep: SagaStep;
  readonly outcomeStatus: Outcome | null;
  readonly statusReason: string;
  readonly cancelRequested: boolean;
  readonly cancelReason: string;
  readonly currencyCode: string | null;
  readonly totalMinor: bigint | null;
  readonly paymentToken: string | null;
  readonly paymentState: PaymentState;
  readonly paymentAuthorizationId: string | null;
  readonly stockState: StockState;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly items: readonly OrderItemRecord[];
}

const STATUS_TO_PROTO: Readonly<Record<OrderStatus, OrderStatusProto>> = {
  PENDING: OrderStatusProto.ORDER_STATUS_PENDING,
  CONFIRMED: OrderStatusProto.ORDER_STATUS_CONFIRMED,
  CANCELLED: OrderStatusProto.ORDER_STATUS_CANCELLED,
  FAILED: OrderStatusProto.ORDER_STATUS_FAILED,
};

/** What the contract shows of an order (and its events carry). */
export type OrderView = Pick<
  OrderRecord,
  | "id"
  | "userId"
  | "status"
  | "items"
  | "currencyCode"
  | "totalMinor"
  | "statusReason"
  | "createdAt"
  | "updatedAt"
>;

/** The contract's view of an order: prices and totals appear once they are known. */
export function orderToProto(order: OrderView): Order {
  const currencyCode = order.currencyCode;
  return {
    id: order.id,
    userId: order.userId ?? "",
    status: STATUS_TO_PROTO[order.status],
    items: order.items.map((item) => ({
      productId: item.productId,
      productName: item.productName,
      quantity: item.quantity,
      unitPrice:
        currencyCode !== null && item.unitPriceMinor !== null
          ? { currencyCode, amountMinor: item.unitPriceMinor }
          : undefined,
      lineTotal:
        currencyCode !== null && item.unitPriceMinor !== null
          ? { currencyCode, amountMinor: item.unitPriceMinor * BigInt(item.quantity) }
          : undefined,
    })),
    total:
      currencyCode !== null && order.totalMinor !== null
        ? { currencyCode, amountMinor: order.totalMinor }
        : undefined,
    statusReason: order.statusReason,
    createTime: order.createdAt,
    updateTime: order.updatedAt,
  };
}

/** Whether a status is final for the customer (WatchOrder ends on it). */
export function isFinalStatus(status: OrderStatus): boolean {
  return status !== "PENDING";
}

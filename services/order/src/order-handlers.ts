/**
 * The gRPC surface of order-service: maps requests to the domain and orders back to
 * the contract. Access levels are enforced before these run; ownership is checked here.
 */
import type { OrderServiceService } from "@shop/gen/ts/shop/order/v1/order";
import { Code, ServiceError } from "@shop/libs/errors";
import type { Handlers } from "@shop/libs/grpc";
import { callerOf, findReadableOrder } from "./order-access";
import type { CancelOrder } from "./order-cancellation";
import type { OrderPlacement } from "./order-placement";
import { orderToProto } from "./order-record";
import type { OrderRepository } from "./order-repository";
import { parseOrderId } from "./order-request";
import { createWatchOrder, type WatchOrderOptions } from "./order-watch";
import { decodePageToken, encodePageToken } from "./page-token";

const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;

export interface OrderHandlersOptions {
  repository: OrderRepository;
  placement: OrderPlacement;
  cancel: CancelOrder;
  watch: Omit<WatchOrderOptions, "repository">;
}

export function createOrderHandlers(
  options: OrderHandlersOptions,
): Handlers<typeof OrderServiceService> {
  const { repository, placement } = options;
  return {
    async createOrder(request, ctx) {
      return { order: orderToProto(await placement.create(request, ctx)) };
    },

    async getOrder(request, ctx) {
      const orderId = parseOrderId(request.orderId);
      return { order: orderToProto(await findReadableOrder(repository, orderId, callerOf(ctx))) };
    },

    async listOrders(request, ctx) {
      const user = callerOf(ctx);
      const pageSize = request.pageSize === 0 ? DEFAULT_PAGE_SIZE : request.pageSize;
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
        throw ServiceError.invalidArgument([
          {
            field: "page_size",
            description: `must be 1-${MAX_PAGE_SIZE}, or 0 for ${DEFAULT_PAGE_SIZE}`,
          },
        ]);
      }
      const beforeSeq = decodePageToken(request.pageToken);
      let userId = user.userId;
      if (request.userId !== "" && request.userId !== user.userId) {
        if (user.role !== "admin") {
          throw new ServiceError(
            Code.PERMISSION_DENIED,
            "only admins may list another user's orders",
          );
        }
        if (request.userId.length > 128) {
          throw ServiceError.invalidArgument([
            { field: "user_id", description: "at most 128 characters" },
          ]);
        }
        userId = request.userId;
      }
      // One more than asked tells whether another page follows.
      const orders = await repository.listByUser(userId, beforeSeq, pageSize + 1);
      const page = orders.slice(0, pageSize);
      const last = page[page.length - 1];
      return {
        orders: page.map(orderToProto),
        nextPageToken: orders.length > pageSize && last ? encodePageToken(last.seq) : "",
      };
    },

    async cancelOrder(request, ctx) {
      return { order: orderToProto(await options.cancel(request, ctx)) };
    },

    watchOrder: createWatchOrder({ repository, ...options.watch }),
  };
}

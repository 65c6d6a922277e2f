/**
 * The gRPC surface of ProductService: maps requests to the catalog and the inventory
 * and their results to responses. Access levels (public reads, admin writes, internal
 * stock calls from order-service) are enforced by the server pipeline before these run.
 */
import { type ProductServiceService, ReservationState } from "@shop/gen/ts/shop/product/v1/product";
import type { Handlers } from "@shop/libs/grpc";
import type { Catalog } from "./catalog";
import type { Inventory } from "./inventory";
import type { ReservationStateName } from "./reservation-state";

const STATES: Record<ReservationStateName, ReservationState> = {
  RESERVED: ReservationState.RESERVATION_STATE_RESERVED,
  RELEASED: ReservationState.RESERVATION_STATE_RELEASED,
  COMMITTED: ReservationState.RESERVATION_STATE_COMMITTED,
  RETURNED: ReservationState.RESERVATION_STATE_RETURNED,
  EXPIRED: ReservationState.RESERVATION_STATE_EXPIRED,
};

export function createProductHandlers(deps: {
  catalog: Catalog;
  inventory: Inventory;
}): Handlers<typeof ProductServiceService> {
  const { catalog, inventory } = deps;
  return {
    listProducts: (request) => catalog.listProducts(request),
    getProduct: async (request) => ({ product: await catalog.getProduct(request.productId) }),
    createProduct: async (request) => ({ product: await catalog.createProduct(request) }),
    updateProduct: async (request) => ({ product: await catalog.updateProduct(request) }),
    deleteProduct: async (request) => {
      await catalog.deleteProduct(request.productId);
      return {};
    },
    adjustStock: async (request) => ({ product: await catalog.adjustStock(request) }),
    reserveStock: async (request) => {
      const reservation = await inventory.reserve(request.orderId, request.items);
      return {
        state: STATES[reservation.state],
        items: reservation.lines.map((line) => ({
          productId: line.productId,
          quantity: line.quantity,
          productName: line.productName,
          unitPrice: { currencyCode: line.currencyCode, amountMinor: line.priceMinor },
        })),
        expireTime: reservation.expiresAt ?? undefined,
      };
    },
    releaseStock: async (request) => ({ state: STATES[await inventory.release(request.orderId)] }),
    commitStock: async (request) => ({ state: STATES[await inventory.commit(request.orderId)] }),
    returnStock: async (request) => ({ state: STATES[await inventory.return(request.orderId)] }),
  };
}

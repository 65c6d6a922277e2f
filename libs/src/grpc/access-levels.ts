/**
 * Who may call each RPC, read from the contracts' `(shop.options.v1.access)` method
 * option through the protobuf-es descriptors, so the server enforces exactly what the
 * proto files declare and nothing is configured twice.
 */
import { type DescService, getOption } from "@bufbuild/protobuf";
import { Access, access } from "@shop/gen/es/shop/options/v1/options_pb";
import { OrderService } from "@shop/gen/es/shop/order/v1/order_pb";
import { ProductService } from "@shop/gen/es/shop/product/v1/product_pb";
import { UserService } from "@shop/gen/es/shop/user/v1/user_pb";

export type AccessLevel = "public" | "authenticated" | "admin" | "internal";

/** The shop's services whose RPCs a server may expose. */
export const CONTRACT_SERVICES: readonly DescService[] = [
  UserService,
  ProductService,
  OrderService,
];

const LEVELS: Partial<Record<Access, AccessLevel>> = {
  [Access.PUBLIC]: "public",
  [Access.AUTHENTICATED]: "authenticated",
  [Access.ADMIN]: "admin",
  [Access.INTERNAL]: "internal",
};

/**
 * Full method path ("/shop.product.v1.ProductService/ReserveStock") -> access level.
 * An RPC whose option is unset (ACCESS_UNSPECIFIED) is left out, and the server
 * refuses whatever is not in the map: a forgotten option closes an RPC, never opens it.
 */
export function accessLevelsFromContracts(
  services: readonly DescService[] = CONTRACT_SERVICES,
): ReadonlyMap<string, AccessLevel> {
  const levels = new Map<string, AccessLevel>();
  for (const service of services) {
    for (const method of service.methods) {
      const level = LEVELS[getOption(method, access)];
      if (level) levels.set(`/${service.typeName}/${method.name}`, level);
    }
  }
  return levels;
}

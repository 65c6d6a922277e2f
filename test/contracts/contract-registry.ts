/**
 * Every service of the shop's contracts, read from the generated protobuf-es
 * descriptors: the same source the gateway routes from.
 */
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { getOption, hasOption } from "@bufbuild/protobuf";
import { http } from "@shop/gen/es/google/api/annotations_pb";
import type { HttpRule } from "@shop/gen/es/google/api/http_pb";
import { Access, access } from "@shop/gen/es/shop/options/v1/options_pb";
import { OrderService } from "@shop/gen/es/shop/order/v1/order_pb";
import { ProductService } from "@shop/gen/es/shop/product/v1/product_pb";
import { UserService } from "@shop/gen/es/shop/user/v1/user_pb";

export const SHOP_SERVICES: readonly DescService[] = [UserService, ProductService, OrderService];

export const allMethods = (): DescMethod[] => SHOP_SERVICES.flatMap((s) => s.methods);

export function accessOf(method: DescMethod): Access | undefined {
  return hasOption(method, access) ? getOption(method, access) : undefined;
}

export function httpRuleOf(method: DescMethod): HttpRule | undefined {
  return hasOption(method, http) ? getOption(method, http) : undefined;
}

export { Access };

/**
 * What governance needs to know about each RPC, read from the protobuf-es descriptors
 * (the same source the gateway routes from): its access level, whether a retry is safe
 * (protobuf's `idempotency_level`), its streaming kind, its REST route and the method
 * name of the ts-proto client (`reserveStock`), by which real calls are found in code.
 */
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { getOption, hasOption } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { http } from "@shop/gen/es/google/api/annotations_pb";
import { Access, access } from "@shop/gen/es/shop/options/v1/options_pb";
import { OrderService } from "@shop/gen/es/shop/order/v1/order_pb";
import { ProductService } from "@shop/gen/es/shop/product/v1/product_pb";
import { UserService } from "@shop/gen/es/shop/user/v1/user_pb";
import type { AccessLevel } from "../policy/types";

export interface RpcFact {
  /** The .proto file declaring it, relative to the repository root. */
  protoFile: string;
  /** `shop.product.v1.ProductService` */
  protoService: string;
  /** `ReserveStock` */
  name: string;
  /** `shop.product.v1.ProductService/ReserveStock`: the key of allowed callers. */
  fullName: string;
  /** `/shop.product.v1.ProductService/ReserveStock`: the HTTP/2 path Istio matches. */
  path: string;
  /** The ts-proto client class (`ProductServiceClient`) and its method (`reserveStock`). */
  clientName: string;
  clientMethod: string;
  access?: AccessLevel;
  /** True when protobuf says a repeat has no further effect (IDEMPOTENT, NO_SIDE_EFFECTS). */
  retrySafe: boolean;
  readOnly: boolean;
  serverStreaming: boolean;
  http?: { method: string; path: string };
}

const ACCESS: Partial<Record<Access, AccessLevel>> = {
  [Access.PUBLIC]: "PUBLIC",
  [Access.AUTHENTICATED]: "AUTHENTICATED",
  [Access.ADMIN]: "ADMIN",
  [Access.INTERNAL]: "INTERNAL",
};

/** The shop's contracts. */
export const SHOP_SERVICES: readonly DescService[] = [UserService, ProductService, OrderService];

function httpOf(method: DescMethod): RpcFact["http"] {
  if (!hasOption(method, http)) return undefined;
  const pattern = getOption(method, http).pattern;
  if (pattern.case === undefined) return undefined;
  if (pattern.case === "custom") return { method: pattern.value.kind, path: pattern.value.path };
  return { method: pattern.case.toUpperCase(), path: pattern.value };
}

export function rpcFactOf(method: DescMethod): RpcFact {
  const service = method.parent;
  const level = hasOption(method, access) ? ACCESS[getOption(method, access)] : undefined;
  const fact: RpcFact = {
    protoFile: `proto/${service.file.name}.proto`,
    protoService: service.typeName,
    name: method.name,
    fullName: `${service.typeName}/${method.name}`,
    path: `/${service.typeName}/${method.name}`,
    clientName: `${service.name}Client`,
    clientMethod: method.localName,
    retrySafe: method.idempotency !== MethodOptions_IdempotencyLevel.IDEMPOTENCY_UNKNOWN,
    readOnly: method.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS,
    serverStreaming: method.methodKind === "server_streaming",
  };
  const route = httpOf(method);
  if (level) fact.access = level;
  if (route) fact.http = route;
  return fact;
}

/** Every RPC of `services`, sorted by full name. */
export function rpcFacts(services: readonly DescService[] = SHOP_SERVICES): RpcFact[] {
  return services
    .flatMap((s) => s.methods.map(rpcFactOf))
    .sort((a, b) => a.fullName.localeCompare(b.fullName));
}

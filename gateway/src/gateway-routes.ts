/**
 * The gateway's REST surface, assembled once at start-up: a binding per HTTP rule of
 * every exposed RPC, the aggregation routes whose RPCs are all served, and the router
 * over both. The OpenAPI document is generated from the same lists, so it describes
 * exactly what is routed.
 */
import type { DescService } from "@bufbuild/protobuf";
import type { AggregationRoute } from "./aggregation/aggregation-route";
import { createOrderDetailsRoute } from "./aggregation/order-details-route";
import type { RouteTarget } from "./http/http-server";
import {
  type RestBinding,
  restBindingsFromServices,
  type SkippedRpc,
} from "./transcoding/http-rule-bindings";
import { createRouter, type RouteEntry, type Router } from "./transcoding/router";

export interface GatewayRoutes {
  readonly bindings: readonly RestBinding[];
  readonly aggregations: readonly AggregationRoute[];
  /** RPCs left out, and why (for the start-up log). */
  readonly skipped: readonly SkippedRpc[];
  readonly router: Router<RouteTarget>;
}

/** @throws HttpRuleError, PathTemplateError or DuplicateRouteError for a contract mistake */
export function createGatewayRoutes(services: readonly DescService[]): GatewayRoutes {
  const { bindings, skipped } = restBindingsFromServices(services);
  const rpcs = new Map(bindings.map((b) => [b.rpc.fullName, b.rpc]));
  const getOrder = rpcs.get("shop.order.v1.OrderService/GetOrder");
  const getProduct = rpcs.get("shop.product.v1.ProductService/GetProduct");
  const aggregations =
    getOrder && getProduct ? [createOrderDetailsRoute({ getOrder, getProduct })] : [];
  const router = createRouter<RouteTarget>([
    ...bindings.map(
      (binding): RouteEntry<RouteTarget> => ({
        httpMethod: binding.httpMethod,
        template: binding.template,
        target: { kind: "rest", binding },
      }),
    ),
    ...aggregations.map(
      (route): RouteEntry<RouteTarget> => ({
        httpMethod: route.httpMethod,
        template: route.template,
        target: { kind: "aggregation", route },
      }),
    ),
  ]);
  return { bindings, aggregations, skipped, router };
}

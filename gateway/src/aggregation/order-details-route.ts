/**
 * GET /api/orders/{order_id}/details: the caller's order with the current details of
 * every product in it. The order comes from order-service (which authorises ownership
 * with the forwarded token), then every product from product-service in parallel, all
 * under one deadline. A product that cannot be had (product-service down, its breaker
 * open, the product deleted) is marked unavailable with the reason, and the order is
 * still answered; a product served from the last good response is marked stale.
 */
import { create, type JsonObject } from "@bufbuild/protobuf";
import {
  GetOrderRequestSchema,
  type GetOrderResponse,
  OrderSchema,
} from "@shop/gen/es/shop/order/v1/order_pb";
import {
  GetProductRequestSchema,
  type GetProductResponse,
  ProductSchema,
} from "@shop/gen/es/shop/product/v1/product_pb";
import { toServiceError } from "@shop/libs/errors";
import type { RpcTarget } from "../edge/rpc-target";
import { errorResponse } from "../http/error-writer";
import { parsePathTemplate } from "../transcoding/path-template";
import type { AggregationRoute } from "./aggregation-route";

const ORDER_REF = `#/components/schemas/${OrderSchema.typeName}`;
const PRODUCT_REF = `#/components/schemas/${ProductSchema.typeName}`;

export function createOrderDetailsRoute(rpcs: {
  getOrder: RpcTarget;
  getProduct: RpcTarget;
}): AggregationRoute {
  return {
    id: "aggregate.GetOrderDetails",
    httpMethod: "GET",
    template: parsePathTemplate("/api/orders/{order_id}/details"),
    access: "authenticated",
    summary: "An order with the current details of its products",
    description:
      "Aggregates GetOrder and GetProduct for each item, called in parallel under one " +
      "deadline. Products that cannot be fetched are marked unavailable; the order is " +
      "still returned.",
    responseSchema: {
      type: "object",
      required: ["order", "products"],
      properties: {
        order: { $ref: ORDER_REF },
        products: {
          type: "array",
          items: {
            type: "object",
            required: ["productId", "available"],
            properties: {
              productId: { type: "string" },
              available: { type: "boolean" },
              stale: {
                type: "boolean",
                description: "The last good answer, served while product-service is down.",
              },
              product: { $ref: PRODUCT_REF },
              error: { $ref: "#/components/schemas/google.rpc.Status" },
            },
          },
        },
      },
    },
    referencedMessages: [OrderSchema, ProductSchema],

    async handle(exchange, params, { pipeline, codec, request, deadline }) {
      const orderId = params.get("order_id") ?? "";
      const reply = await pipeline.unary(
        request,
        rpcs.getOrder,
        create(GetOrderRequestSchema, { orderId }),
        { deadline },
      );
      const order = (reply.message as GetOrderResponse).order ?? create(OrderSchema);
      const productIds = [...new Set(order.items.map((item) => item.productId))];
      const products = await Promise.all(
        productIds.map(async (productId): Promise<JsonObject> => {
          try {
            const outcome = await pipeline.unary(
              request,
              rpcs.getProduct,
              create(GetProductRequestSchema, { productId }),
              // The same key as GET /api/products/{id}: either warms the other's fallback.
              { deadline, fallbackKey: `/api/products/${encodeURIComponent(productId)}` },
            );
            const product = (outcome.message as GetProductResponse).product;
            const entry: JsonObject = {
              productId,
              available: product !== undefined,
              stale: outcome.stale !== undefined,
            };
            if (product) entry.product = codec.toJson(ProductSchema, product);
            return entry;
          } catch (error) {
            const status = errorResponse(toServiceError(error), codec.registry, exchange.logger);
            return { productId, available: false, stale: false, error: status.body };
          }
        }),
      );
      exchange.sendJson(200, {
        order: codec.toJson(OrderSchema, order),
        products,
      });
    },
  };
}

/**
 * GET /api/products (the first page of the catalog, the seed's 10,000 req/s gateway
 * budget) against ListProducts called directly over gRPC on the same product-service,
 * interleaved in one run, in the steps that move it:
 *
 * 1. gateway-uncached: every call transcoded and sent to product-service (which
 *    answers from its own Redis cache).
 * 2. gateway-cached: the gateway's response cache (policy `edge.cache`), answering the
 *    rendered JSON from memory after admission (rate limit in Redis).
 * 3. gateway-not-modified: the same with the client's If-None-Match, answered 304
 *    without a body.
 *
 * The scratch database and JWKS come from gateway-vs-direct's support process.
 */
import { ListProductsRequest } from "@shop/gen/ts/shop/product/v1/product";
import { defineScenario, type ProcessSpec } from "../harness";
import {
  benchGateway,
  benchProductService,
  seedCatalog,
  supportProcess,
} from "./gateway-vs-direct";

const LIST = "/shop.product.v1.ProductService/ListProducts";

export default defineScenario({
  name: "gateway-list",
  description:
    "GET /api/products (first page) through api-gateway without and with its response cache, and with If-None-Match, vs ListProducts straight to product-service over gRPC.",
  ports: [
    "support",
    "productGrpc",
    "productHttp",
    "gatewayHttp",
    "gatewayGrpc",
    "uncachedHttp",
    "uncachedGrpc",
  ],
  processes: ({ ports }): ProcessSpec[] => [
    supportProcess(ports.support),
    benchProductService({
      supportPort: ports.support,
      grpcPort: ports.productGrpc,
      httpPort: ports.productHttp,
    }),
    benchGateway("api-gateway", {
      supportPort: ports.support,
      httpPort: ports.gatewayHttp,
      grpcPort: ports.gatewayGrpc,
      productGrpcPort: ports.productGrpc,
    }),
    benchGateway(
      "api-gateway-uncached",
      {
        supportPort: ports.support,
        httpPort: ports.uncachedHttp,
        grpcPort: ports.uncachedGrpc,
        productGrpcPort: ports.productGrpc,
      },
      { RESPONSE_CACHE: "false" },
    ),
  ],
  async setup({ ports }) {
    await seedCatalog(ports.support);
    const answer = await fetch(`http://127.0.0.1:${ports.gatewayHttp}/api/products`);
    const etag = answer.headers.get("etag");
    if (answer.status !== 200 || !etag) {
      throw new Error(`GET /api/products answered ${answer.status}, ETag ${etag}`);
    }
    return { etag };
  },
  warmupMs: 5_000,
  durationMs: 20_000,
  concurrencies: [1, 8, 64, 256],
  notes: [
    "gateway rate limits raised to 10000000/1m (anonymous and per user): the limiter still runs its Redis script on every call, hits included",
    "api-gateway has the policy's response cache (ListProducts, GetProduct: 10 s TTL, invalidated by product events); api-gateway-uncached runs with RESPONSE_CACHE=false",
    "the catalog is the demo one; no writes during the run, so cached answers stay valid",
  ],
  variants: [
    {
      name: "direct-grpc",
      load: (_c, { ports }) => ({
        protocol: "grpc",
        target: `127.0.0.1:${ports.productGrpc}`,
        method: LIST,
        request: ListProductsRequest.encode(ListProductsRequest.fromPartial({})).finish(),
      }),
    },
    {
      name: "gateway-uncached",
      load: (_c, { ports }) => ({
        protocol: "http",
        url: `http://127.0.0.1:${ports.uncachedHttp}/api/products`,
      }),
    },
    {
      name: "gateway-cached",
      load: (_c, { ports }) => ({
        protocol: "http",
        url: `http://127.0.0.1:${ports.gatewayHttp}/api/products`,
      }),
    },
    {
      name: "gateway-not-modified",
      load: (_c, { ports, setup }) => ({
        protocol: "http",
        url: `http://127.0.0.1:${ports.gatewayHttp}/api/products`,
        requests: [{ path: "/api/products", headers: { "if-none-match": setup.etag } }],
      }),
    },
  ],
});

/**
 * The cost of the gateway: GetProduct called directly over gRPC on product-service
 * (the baseline) against the same call through api-gateway to the same
 * product-service instance, interleaved in one run: REST (GET /api/products/{id},
 * anonymous and with a bearer token), gRPC on the gateway's port 9000, and Connect
 * (unary POST with a JSON body) on port 8000.
 *
 * Through the gateway a REST call is parsed from HTTP, routed, transcoded from the
 * descriptors, rate-limited in Redis, sent over gRPC with the gateway's service token
 * behind its circuit breaker, and rendered as proto3 JSON; with a token the gateway
 * verifies it too (and product-service verifies it again). A gRPC or Connect call
 * skips the transcoding (connect-node decodes it) and goes through the same pipeline.
 *
 * A helper process this file also is (`--support <database> <port>`, the pattern of
 * product-catalog.ts) owns the scratch products database for the run, and serves on
 * its port the JWKS of a key the harness signs the benchmark's access token with: no
 * user-service, no password hashing in the measured path.
 */
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { GetProductRequest } from "@shop/gen/ts/shop/product/v1/product";
import { createPool } from "@shop/libs/db";
import { createLogger } from "@shop/libs/logging";
import { seedDemoCatalog } from "@shop/product-service";
import { SignJWT } from "jose";
import { defineScenario, type ProcessSpec, tsxCommand } from "../harness";
import { databaseUrl, holdDatabases } from "./support/scratch-database";

const GET_PRODUCT = "/shop.product.v1.ProductService/GetProduct";
/** Rate limits raised out of the way of the load generator (noted in the results). */
const UNLIMITED = "10000000/1m";

const databaseName = (port: number) => `bench_gateway_${port}`;
const jwksUrl = (port: number) => `http://127.0.0.1:${port}/jwks.json`;

/** The support process's scratch database, by its port. */
export const supportDatabaseUrl = (port: number) => databaseUrl(databaseName(port));

/**
 * The support process (scratch products database and JWKS) listening on `port`, for
 * this scenario and the others of the gateway (gateway-list.ts).
 */
export function supportProcess(port: number): ProcessSpec {
  return {
    name: "bench-support",
    ...tsxCommand(__filename, ["--support", databaseName(port), String(port)]),
    env: {
      BENCH_JWKS: JSON.stringify({
        keys: [{ ...exportPublicJwk(), kid: KID, alg: "EdDSA", use: "sig" }],
      }),
    },
    ready: { port },
    stopGraceMs: 10_000,
  };
}

/** The settings every benchmarked gateway and product-service share. */
export function gatewayBenchEnv(supportPort: number) {
  return {
    LOG_LEVEL: "warn",
    REDIS_KEY_PREFIX: `bench:gateway:${supportPort}:`,
    JWKS_URL: jwksUrl(supportPort),
  };
}

/** api-gateway in front of product-service alone, rate limits out of the way. */
export function benchGateway(
  name: string,
  ports: { supportPort: number; httpPort: number; grpcPort: number; productGrpcPort: number },
  env: Record<string, string> = {},
): ProcessSpec {
  return {
    name,
    ...tsxCommand("gateway/src/main.ts"),
    env: {
      ...gatewayBenchEnv(ports.supportPort),
      HTTP_PORT: String(ports.httpPort),
      GRPC_PORT: String(ports.grpcPort),
      PRODUCT_SERVICE_ADDR: `127.0.0.1:${ports.productGrpcPort}`,
      // Not called in these benchmarks; reported down in /ready, which does not fail it.
      USER_SERVICE_ADDR: "127.0.0.1:9",
      ORDER_SERVICE_ADDR: "127.0.0.1:9",
      RATE_LIMIT_ANONYMOUS: UNLIMITED,
      RATE_LIMIT_AUTHENTICATED: UNLIMITED,
      ...env,
    },
    ready: { url: `http://127.0.0.1:${ports.httpPort}/ready` },
  };
}

/** product-service on the support process's scratch database. */
export function benchProductService(ports: {
  supportPort: number;
  grpcPort: number;
  httpPort: number;
}): ProcessSpec {
  return {
    name: "product-service",
    ...tsxCommand("services/product/src/main.ts"),
    env: {
      ...gatewayBenchEnv(ports.supportPort),
      DATABASE_URL: supportDatabaseUrl(ports.supportPort),
      GRPC_PORT: String(ports.grpcPort),
      HTTP_PORT: String(ports.httpPort),
    },
    ready: { url: `http://127.0.0.1:${ports.httpPort}/ready` },
  };
}

/** Seeds the demo catalog; resolves the product ids, by SKU. */
export async function seedCatalog(supportPort: number): Promise<string[]> {
  const logger = createLogger({ service: "product-service", level: "warn" });
  const pool = createPool({
    url: supportDatabaseUrl(supportPort),
    applicationName: "bench-gateway-seed",
    logger,
  });
  try {
    await seedDemoCatalog(pool, logger);
    const { rows } = await pool.query<{ id: string }>("SELECT id FROM products ORDER BY sku");
    return rows.map((r) => r.id);
  } finally {
    await pool.end();
  }
}

// The benchmark's token issuer: its public key travels to the support process in the
// environment, and setup signs with the private key in the harness process.
const signingKey = generateKeyPairSync("ed25519");
const KID = randomUUID();

/** The --support mode: the scratch database for the run, and the JWKS on `port`. */
async function support(name: string, port: number): Promise<void> {
  const jwks = process.env.BENCH_JWKS;
  if (!jwks) throw new Error("BENCH_JWKS is not set");
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" }).end(jwks);
  });
  await holdDatabases([name], /^bench_gateway_\d+$/, port, server);
}

export default defineScenario({
  name: "gateway-vs-direct",
  description:
    "GetProduct straight to product-service over gRPC vs through api-gateway to the same instance: REST GET /api/products/{id} (anonymous, and with a bearer token), gRPC on port 9000, Connect JSON on port 8000.",
  ports: [
    "support",
    "productGrpc",
    "productHttp",
    "gatewayHttp",
    "gatewayGrpc",
    "cachedHttp",
    "cachedGrpc",
  ],
  processes: ({ ports }): ProcessSpec[] => [
    supportProcess(ports.support),
    benchProductService({
      supportPort: ports.support,
      grpcPort: ports.productGrpc,
      httpPort: ports.productHttp,
    }),
    benchGateway(
      "api-gateway",
      {
        supportPort: ports.support,
        httpPort: ports.gatewayHttp,
        grpcPort: ports.gatewayGrpc,
        productGrpcPort: ports.productGrpc,
      },
      // The gateway's own cost, every call reaching product-service: its response
      // cache is measured by gateway-list and gateway-rest-cached's own gateway.
      { RESPONSE_CACHE: "false" },
    ),
    benchGateway("api-gateway-cached", {
      supportPort: ports.support,
      httpPort: ports.cachedHttp,
      grpcPort: ports.cachedGrpc,
      productGrpcPort: ports.productGrpc,
    }),
  ],
  async setup({ ports }) {
    const ids = await seedCatalog(ports.support);
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ role: "customer" })
      .setProtectedHeader({ alg: "EdDSA", kid: KID })
      .setIssuer("user-service")
      .setAudience("shop-api")
      .setSubject("bench-user")
      .setIssuedAt(now)
      .setExpirationTime(now + 3_600)
      .sign(signingKey.privateKey);
    return { ids, token };
  },
  warmupMs: 5_000,
  durationMs: 20_000,
  concurrencies: [1, 8, 64],
  notes: [
    `gateway rate limits raised to ${UNLIMITED} (anonymous and per user): the limiter still runs its Redis script on every call`,
    "GetProduct cycles over the demo catalog's products; product-service serves them from its Redis cache",
    "gateway-rest-auth sends a customer's EdDSA access token, verified by the gateway and again by product-service",
    "gateway-grpc calls the gateway's port 9000 (h2c) with the same grpc-js load client and request bytes as direct-grpc; gateway-connect POSTs Connect unary JSON to port 8000 over HTTP/1.1",
    "the gateway runs MESH_MODE=local with the runtime config's retry policy and circuit breaker, no OpenTelemetry SDK",
    "api-gateway runs with RESPONSE_CACHE=false, so every call reaches product-service (the gateway's own overhead); gateway-rest-cached calls api-gateway-cached, which has the policy's response cache on (GetProduct answers from memory after the first read of each id)",
  ],
  variants: [
    {
      name: "direct-grpc",
      load: (_c, { ports, setup }) => ({
        protocol: "grpc",
        target: `127.0.0.1:${ports.productGrpc}`,
        method: GET_PRODUCT,
        request: setup.ids.map((productId) => GetProductRequest.encode({ productId }).finish()),
      }),
    },
    {
      name: "gateway-rest",
      load: (_c, { ports, setup }) => ({
        protocol: "http",
        url: `http://127.0.0.1:${ports.gatewayHttp}/api/products`,
        requests: setup.ids.map((id) => ({ path: `/api/products/${id}` })),
      }),
    },
    {
      name: "gateway-grpc",
      load: (_c, { ports, setup }) => ({
        protocol: "grpc",
        target: `127.0.0.1:${ports.gatewayGrpc}`,
        method: GET_PRODUCT,
        request: setup.ids.map((productId) => GetProductRequest.encode({ productId }).finish()),
      }),
    },
    {
      name: "gateway-connect",
      load: (_c, { ports, setup }) => ({
        protocol: "http",
        url: `http://127.0.0.1:${ports.gatewayHttp}${GET_PRODUCT}`,
        requests: setup.ids.map((productId) => ({
          method: "POST",
          path: GET_PRODUCT,
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ productId }),
        })),
      }),
    },
    {
      name: "gateway-rest-cached",
      load: (_c, { ports, setup }) => ({
        protocol: "http",
        url: `http://127.0.0.1:${ports.cachedHttp}/api/products`,
        requests: setup.ids.map((id) => ({ path: `/api/products/${id}` })),
      }),
    },
    {
      name: "gateway-rest-auth",
      load: (_c, { ports, setup }) => ({
        protocol: "http",
        url: `http://127.0.0.1:${ports.gatewayHttp}/api/products`,
        requests: setup.ids.map((id) => ({
          path: `/api/products/${id}`,
          headers: { authorization: `Bearer ${setup.token}` },
        })),
      }),
    },
  ],
});

function exportPublicJwk() {
  const jwk = signingKey.publicKey.export({ format: "jwk" });
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x };
}

if (require.main === module) {
  const [flag, name, port] = process.argv.slice(2);
  if (flag !== "--support" || !name || !port) {
    console.error("usage: gateway-vs-direct.ts --support <database> <port>");
    process.exit(2);
  }
  support(name, Number(port)).catch((error: unknown) => {
    console.error("starting the bench support process failed:", error);
    process.exit(1);
  });
}

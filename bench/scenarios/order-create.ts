/**
 * order-service CreateOrder end to end: every call places a new order and runs its
 * whole saga before answering (GetProduct check, the order and OrderCreated written,
 * ReserveStock, payment authorization by the built-in test provider, CommitStock,
 * OrderConfirmed written), against the real product-service, PostgreSQL and Redis, and
 * the real user-service answering order-service's account check (GetUser).
 * Orders per second are the harness's req/s; the notes add the outbox relay's lag
 * (published_at - created_at of order-service's outbox rows) measured under each load.
 *
 * This file is also the fixtures process (the pattern of product-catalog.ts): run with
 * `--fixtures <port>` it creates the two scratch databases, serves the JWKS of this
 * run's access-token key on the port (standing in for user-service), and drops the
 * databases on SIGTERM, which the harness sends after stopping the services.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomUUID,
  sign,
} from "node:crypto";
import { createServer } from "node:http";
import { CreateOrderRequest } from "@shop/gen/ts/shop/order/v1/order";
import { ProductServiceClient } from "@shop/gen/ts/shop/product/v1/product";
import { createTestClient } from "@shop/libs/testing";
import { createPasswordHasher, OWASP_ARGON2ID } from "@shop/user-service";
import { Pool } from "pg";
import { defineScenario, type ProcessSpec, tsxCommand } from "../harness";
import { databaseUrl, holdDatabases, withClient } from "./support/scratch-database";
import { databaseProcess, userDatabaseName, userServiceProcess } from "./user-login";

const PRODUCTS = 20;
const STOCK = 10_000_000;
const CREATE_ORDER = "/shop.order.v1.OrderService/CreateOrder";

const databaseNames = (port: number) =>
  [`bench_orders_${port}`, `bench_order_products_${port}`] as const;

// This run's access-token key: the private half signs tokens here, the JWKS goes to the
// fixtures process in its environment.
const KEY_ID = randomUUID();
const { privateKey } = generateKeyPairSync("ed25519", {
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});
const JWKS = JSON.stringify({
  keys: [
    {
      ...createPublicKey(createPrivateKey(privateKey)).export({ format: "jwk" }),
      kid: KEY_ID,
      alg: "EdDSA",
      use: "sig",
    },
  ],
});

/** An EdDSA access token as user-service issues them, valid for `ttlSec`. */
function accessToken(userId: string, role: "customer" | "admin", ttlSec = 3 * 3600): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const body = `${part({ alg: "EdDSA", kid: KEY_ID, typ: "JWT" })}.${part({
    iss: "user-service",
    aud: "shop-api",
    sub: userId,
    role,
    jti: randomUUID(),
    iat: now,
    exp: now + ttlSec,
  })}`;
  return `${body}.${sign(null, Buffer.from(body), createPrivateKey(privateKey)).toString("base64url")}`;
}

/** The --fixtures mode: the databases and the JWKS for the run's lifetime. */
async function holdFixtures(port: number): Promise<void> {
  const jwks = process.env.BENCH_JWKS ?? "";
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" }).end(jwks);
  });
  await holdDatabases(databaseNames(port), /^bench_(orders|order_products)_\d+$/, port, server);
}

interface LagStats {
  events: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  orders: number;
}

/**
 * Relay lag per measured phase, refreshed while the run goes on (the harness reads the
 * notes once, after the last phase; the last refresh is at most LAG_REFRESH_MS old).
 */
const LAG_REFRESH_MS = 250;
const phases: { concurrency: number; startedAt: number }[] = [];
const lag = new Map<number, LagStats>();

async function refreshLag(pool: Pool): Promise<void> {
  // Each concurrency's last phase (the measured one, after any warm-up at that level).
  const last = new Map<number, { from: number; to: number }>();
  for (const [i, p] of phases.entries()) {
    last.set(p.concurrency, {
      from: p.startedAt,
      to: phases[i + 1]?.startedAt ?? Date.now() + 60_000,
    });
  }
  for (const [concurrency, window] of last) {
    const { rows } = await pool.query<LagStats>(
      `SELECT count(*)::int AS events,
              count(*) FILTER (WHERE type = 'shop.events.v1.OrderConfirmed')::int AS orders,
              coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), 0)::float8 AS p50,
              coalesce(percentile_cont(0.95) WITHIN GROUP (ORDER BY ms), 0)::float8 AS p95,
              coalesce(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms), 0)::float8 AS p99,
              coalesce(max(ms), 0)::float8 AS max
         FROM (SELECT type,
                      extract(epoch FROM coalesce(published_at, now()) - created_at) * 1000 AS ms
                 FROM outbox
                WHERE created_at >= to_timestamp($1 / 1000.0)
                  AND created_at < to_timestamp($2 / 1000.0)) AS t`,
      [window.from, window.to],
    );
    if (rows[0]) lag.set(concurrency, rows[0]);
  }
}

function startLagSampler(url: string): void {
  const pool = new Pool({ connectionString: url, max: 1, allowExitOnIdle: true });
  // The fixtures process drops the database at the end, ending this session.
  pool.on("error", () => undefined);
  const tick = () => {
    refreshLag(pool)
      .catch(() => undefined)
      .finally(() => setTimeout(tick, LAG_REFRESH_MS).unref());
  };
  tick();
}

const ms = (value: number) => (value < 10 ? value.toFixed(1) : Math.round(value).toString());

function serviceProcess(
  name: "product-service" | "order-service",
  ports: { grpc: number; http: number; fixtures: number; productGrpc: number; userGrpc: number },
): ProcessSpec {
  const [orders, products] = databaseNames(ports.fixtures);
  return {
    name,
    ...tsxCommand(
      name === "order-service" ? "services/order/src/main.ts" : "services/product/src/main.ts",
    ),
    env: {
      DATABASE_URL: databaseUrl(name === "order-service" ? orders : products),
      GRPC_PORT: String(ports.grpc),
      HTTP_PORT: String(ports.http),
      JWKS_URL: `http://127.0.0.1:${ports.fixtures}/.well-known/jwks.json`,
      PRODUCT_SERVICE_ADDR: `127.0.0.1:${ports.productGrpc}`,
      USER_SERVICE_ADDR: `127.0.0.1:${ports.userGrpc}`,
      DATABASE_POOL_MAX: "20",
      LOG_LEVEL: "warn",
      REDIS_KEY_PREFIX: `bench:orders:${ports.fixtures}:`,
    },
    ready: { url: `http://127.0.0.1:${ports.http}/ready` },
  };
}

export default defineScenario({
  name: "order-create",
  description:
    "order-service CreateOrder end to end (catalogue check, ReserveStock, test-provider payment, CommitStock, outbox events) against the real product-service, PostgreSQL and Redis; outbox relay lag in the notes.",
  ports: [
    "fixtures",
    "usersDatabase",
    "userGrpc",
    "userHttp",
    "productGrpc",
    "productHttp",
    "orderGrpc",
    "orderHttp",
  ],
  processes: ({ ports }) => [
    {
      name: "bench-fixtures",
      ...tsxCommand(__filename, ["--fixtures", String(ports.fixtures)]),
      env: { BENCH_JWKS: JWKS },
      ready: { url: `http://127.0.0.1:${ports.fixtures}/.well-known/jwks.json` },
      stopGraceMs: 10_000,
    },
    databaseProcess(ports.usersDatabase),
    userServiceProcess({
      grpc: ports.userGrpc,
      http: ports.userHttp,
      database: ports.usersDatabase,
    }),
    serviceProcess("product-service", {
      grpc: ports.productGrpc,
      http: ports.productHttp,
      fixtures: ports.fixtures,
      productGrpc: ports.productGrpc,
      userGrpc: ports.userGrpc,
    }),
    serviceProcess("order-service", {
      grpc: ports.orderGrpc,
      http: ports.orderHttp,
      fixtures: ports.fixtures,
      productGrpc: ports.productGrpc,
      userGrpc: ports.userGrpc,
    }),
  ],
  async setup({ ports }) {
    // The customer's account, which user-service's GetUser finds (an unknown id would be
    // an erased account, and no order would be placed).
    const customer = randomUUID();
    const hash = await (await createPasswordHasher(OWASP_ARGON2ID)).hash(randomUUID());
    await withClient(databaseUrl(userDatabaseName(ports.usersDatabase)), (client) =>
      client.query(
        `INSERT INTO users (id, email, name, role, password_hash)
         VALUES ($1, 'bench-orders@example.com', 'Bench', 'customer', $2)`,
        [customer, hash],
      ),
    );
    const products = await createTestClient(ProductServiceClient, {
      port: ports.productGrpc,
      upstream: "product-service",
    });
    const admin = accessToken(randomUUID(), "admin");
    const ids: string[] = [];
    try {
      for (let i = 0; i < PRODUCTS; i++) {
        const { product } = await products.createProduct(
          {
            product: {
              id: "",
              sku: `BENCH-ORDER-${i}`,
              name: `Bench product ${i}`,
              description: "",
              price: { currencyCode: "EUR", amountMinor: BigInt(500 + i * 125) },
              imageUrl: "",
              category: "bench",
              tags: [],
              active: true,
              createTime: undefined,
              updateTime: undefined,
              version: 0n,
              availableStock: 0,
            },
            initialStock: STOCK,
          },
          { ctx: { user: { userId: "bench-admin", role: "admin", token: admin, expiresAt: 0 } } },
        );
        ids.push(product!.id);
      }
    } finally {
      products.close();
    }
    startLagSampler(databaseUrl(databaseNames(ports.fixtures)[0]));
    return {
      requests: ids.map((productId) =>
        CreateOrderRequest.encode({ productId, quantity: 1, items: [], paymentToken: "" }).finish(),
      ),
      // One customer: ListOrders is not measured, so spreading users would change nothing.
      token: accessToken(customer, "customer"),
    };
  },
  warmupMs: 3_000,
  durationMs: 10_000,
  concurrencies: [1, 4, 8, 32, 64],
  // A getter: the relay lag is known only once the phases ran.
  get notes() {
    const lines = [
      `${PRODUCTS} products with ${STOCK.toLocaleString("en")} units each; each order is one unit of one product, cycling, paid with the test provider's tok_approve (in process, no network)`,
      "no Idempotency-Key: every call is a new order; order-service and product-service run with DATABASE_POOL_MAX=20, MESH_MODE=local (grpc-js retries from .repo/generated)",
      "one customer, whose account user-service finds: every order's account check is answered by GetUser (not by the fallback for an unreachable user-service)",
    ];
    for (const [concurrency, s] of [...lag].sort((a, b) => a[0] - b[0])) {
      lines.push(
        `outbox relay lag at c=${concurrency}: ${s.events} events (${s.orders} OrderConfirmed), p50 ${ms(s.p50)} ms, p95 ${ms(s.p95)} ms, p99 ${ms(s.p99)} ms, max ${ms(s.max)} ms`,
      );
    }
    return lines;
  },
  variants: [
    {
      name: "create-order",
      load: (concurrency, { ports, setup }) => {
        phases.push({ concurrency, startedAt: Date.now() });
        return {
          protocol: "grpc",
          target: `127.0.0.1:${ports.orderGrpc}`,
          method: CREATE_ORDER,
          request: setup.requests,
          metadata: { authorization: `Bearer ${setup.token}` },
        };
      },
    },
  ],
});

if (require.main === module) {
  const [flag, port] = process.argv.slice(2);
  if (flag !== "--fixtures" || !port) {
    console.error("usage: order-create.ts --fixtures <port>");
    process.exit(2);
  }
  holdFixtures(Number(port)).catch((error: unknown) => {
    console.error("creating the bench fixtures failed:", error);
    process.exit(1);
  });
}

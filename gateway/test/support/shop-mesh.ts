/**
 * Test support: the whole mesh on free ports, for the gateway's tests against the real
 * services: user-service (issuing real tokens), product-service (with the demo catalog)
 * and order-service, each on its own scratch database, sharing the real Redis under
 * one key prefix, and the gateway in front of them.
 *
 * user-service's JWKS is served on its admin port, which is only known once it has
 * started, while its own verifier needs JWKS_URL before: a loopback forwarder is bound
 * first and pointed at the admin port afterwards (as user-service's own tests do).
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Env } from "@shop/libs/config";
import { createLogger } from "@shop/libs/logging";
import {
  createScratchDatabase,
  type ScratchDatabase,
  TEST_ADMIN_URL,
  testServiceEnv,
  uniquePrefix,
} from "@shop/libs/testing";
import { type RunningOrderService, startOrderService } from "@shop/order-service";
import {
  type RunningProductService,
  seedDemoCatalog,
  startProductService,
} from "@shop/product-service";
import { JWKS_PATH, type RunningUserService, startUserService } from "@shop/user-service";
import { createAdmin } from "../../../services/user/src/commands/create-admin";
import { type HttpAnswer, type HttpRequestInit, httpCall } from "./http-client";
import { startTestGateway, type TestGateway } from "./test-gateway";

/** Argon2id at its cheapest allowed setting: the tests are not about hashing cost. */
const FAST_HASHING = {
  PASSWORD_HASH_MEMORY_KIB: "7168",
  PASSWORD_HASH_ITERATIONS: "1",
  PASSWORD_HASH_PARALLELISM: "1",
};

export interface ShopMesh {
  readonly gateway: TestGateway;
  readonly productGrpcPort: number;
  call(method: string, path: string, init?: HttpRequestInit): Promise<HttpAnswer>;
  /** Registers a customer through the gateway; resolves their token, id and credentials. */
  customer(): Promise<{ token: string; userId: string; email: string; password: string }>;
  /** An admin account (created as the create-admin command does), signed in. */
  admin(): Promise<{ token: string; userId: string }>;
  /**
   * Another gateway replica in front of the same services (stopped with the mesh);
   * `env` overrides its environment, e.g. another REDIS_KEY_PREFIX to cut it off from
   * the services' events.
   */
  replica(env?: Env): Promise<TestGateway>;
  stopProductService(): Promise<void>;
  restartProductService(): Promise<void>;
  stop(): Promise<void>;
}

async function startJwksForwarder() {
  let target: number | undefined;
  const server = createServer((req, res) => {
    if (target === undefined) {
      res.writeHead(503).end();
      return;
    }
    fetch(`http://127.0.0.1:${target}${req.url ?? "/"}`).then(
      async (upstream) => {
        res.writeHead(upstream.status, { "content-type": "application/json" });
        res.end(Buffer.from(await upstream.arrayBuffer()));
      },
      () => res.writeHead(502).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${JWKS_PATH}`,
    forwardTo(adminPort: number) {
      target = adminPort;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function startShopMesh(gatewayEnv: Env = {}): Promise<ShopMesh> {
  const databases: ScratchDatabase[] = await Promise.all(
    [1, 2, 3].map(() => createScratchDatabase(TEST_ADMIN_URL)),
  );
  const [userDb, productDb, orderDb] = databases as [
    ScratchDatabase,
    ScratchDatabase,
    ScratchDatabase,
  ];
  const prefix = uniquePrefix("gateway-mesh");
  const forwarder = await startJwksForwarder();
  const common = { REDIS_KEY_PREFIX: prefix, JWKS_URL: forwarder.url };
  const userEnv = testServiceEnv({
    ...common,
    ...FAST_HASHING,
    DATABASE_URL: userDb.url,
    USER_KEK: randomBytes(32).toString("base64"),
  });
  const user: RunningUserService = await startUserService({ env: userEnv });
  forwarder.forwardTo(user.httpPort);

  const productEnv = testServiceEnv({ ...common, DATABASE_URL: productDb.url });
  let product: RunningProductService = await startProductService({ env: productEnv });
  const productGrpcPort = product.grpcPort;
  await seedDemoCatalog(
    product.runtime.pool,
    createLogger({ service: "product-service", level: "silent" }),
  );

  const order: RunningOrderService = await startOrderService({
    env: testServiceEnv({
      ...common,
      DATABASE_URL: orderDb.url,
      PRODUCT_SERVICE_ADDR: `127.0.0.1:${productGrpcPort}`,
    }),
  });
  const gatewayEnvironment = {
    ...common,
    USER_SERVICE_ADDR: `127.0.0.1:${user.grpcPort}`,
    PRODUCT_SERVICE_ADDR: `127.0.0.1:${productGrpcPort}`,
    ORDER_SERVICE_ADDR: `127.0.0.1:${order.grpcPort}`,
    ...gatewayEnv,
  };
  const gateway = await startTestGateway({ env: gatewayEnvironment });
  const replicas: TestGateway[] = [];
  let productRunning = true;

  const signUp = async () => {
    const email = `gw-${randomBytes(5).toString("hex")}@example.com`;
    const password = `pw-${randomBytes(8).toString("hex")}`;
    return { email, password };
  };

  const mesh: ShopMesh = {
    gateway,
    productGrpcPort,
    call: (method, path, init) => httpCall(gateway.port, method, path, init),
    async customer() {
      const body = await signUp();
      const answer = await mesh.call("POST", "/api/users/register", { body });
      if (answer.status !== 200)
        throw new Error(`register failed: ${answer.status} ${answer.text}`);
      return { token: answer.json.accessToken, userId: answer.json.user.id, ...body };
    },
    async admin() {
      const { email, password } = await signUp();
      await createAdmin({
        args: ["--email", email],
        env: { ...userEnv, ADMIN_PASSWORD: password },
        out: () => {},
        readPassword: async () => password,
      });
      const answer = await mesh.call("POST", "/api/users/login", { body: { email, password } });
      if (answer.status !== 200)
        throw new Error(`admin login failed: ${answer.status} ${answer.text}`);
      return { token: answer.json.accessToken, userId: answer.json.user.id };
    },
    async replica(env = {}) {
      const replica = await startTestGateway({ env: { ...gatewayEnvironment, ...env } });
      replicas.push(replica);
      return replica;
    },
    async stopProductService() {
      productRunning = false;
      await product.stop();
    },
    async restartProductService() {
      product = await startProductService({
        env: { ...productEnv, GRPC_PORT: String(productGrpcPort) },
      });
      productRunning = true;
    },
    async stop() {
      await Promise.all([gateway, ...replicas].map((g) => g.stop()));
      await order.stop();
      if (productRunning) await product.stop();
      await user.stop();
      await forwarder.close();
      await Promise.all(databases.map((d) => d.drop()));
    },
  };
  return mesh;
}

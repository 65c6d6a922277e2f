/**
 * Test support: the real user-service on free ports against a scratch database and the
 * real Redis, with a real gRPC client calling as api-gateway.
 *
 * The one twist is JWKS_URL. The runtime builds its access-token verifier from JWKS_URL
 * before the admin server binds, and tests bind port 0, so the admin port is unknown
 * when the URL is needed. A loopback forwarder is bound first, its URL goes into the
 * environment, and once the service has started it forwards to the real
 * `/.well-known/jwks.json` of the admin port: the verifier fetches the service's real
 * JWKS, one hop further. (In a deployment HTTP_PORT is fixed and JWKS_URL points at it.)
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { UserServiceClient, type UserServiceService } from "@shop/gen/ts/shop/user/v1/user";
import type { UserIdentity } from "@shop/libs/auth";
import type { Env } from "@shop/libs/config";
import { ServiceError } from "@shop/libs/errors";
import type { GrpcClient } from "@shop/libs/grpc";
import { createLogger } from "@shop/libs/logging";
import { createRedisInfrastructure } from "@shop/libs/service";
import {
  createScratchDatabase,
  createTestClient,
  type ScratchDatabase,
  TEST_ADMIN_URL,
  testServiceEnv,
} from "@shop/libs/testing";
import { decodeJwt } from "jose";
import { JWKS_PATH } from "../keys/jwks-route";
import {
  type RunningUserService,
  startUserService,
  type UserServiceOptions,
} from "../user-service";

/** A loopback HTTP server that forwards GETs to a port set later. */
async function startForwarder() {
  let targetPort: number | undefined;
  const server = createServer((req, res) => {
    if (targetPort === undefined) {
      res.writeHead(503).end();
      return;
    }
    fetch(`http://127.0.0.1:${targetPort}${req.url ?? "/"}`).then(
      async (upstream) => {
        res.writeHead(upstream.status, {
          "content-type": upstream.headers.get("content-type") ?? "application/json",
        });
        res.end(Buffer.from(await upstream.arrayBuffer()));
      },
      () => res.writeHead(502).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${JWKS_PATH}`,
    forwardTo(port_: number) {
      targetPort = port_;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A fresh key-encryption key, as USER_KEK holds it. */
export function testKek(): string {
  return randomBytes(32).toString("base64");
}

export interface UserServiceUnderTest {
  readonly service: RunningUserService;
  /** Calls as api-gateway. */
  readonly client: GrpcClient<typeof UserServiceService>;
  /** The environment the service was started with (DATABASE_URL, USER_KEK, ...). */
  readonly env: Env;
  /** The JWKS on the admin port itself. */
  readonly jwksUrl: string;
  stop(): Promise<void>;
}

/** Starts user-service on `databaseUrl` with test settings, overridden by `overrides`. */
export async function startUserServiceUnderTest(
  databaseUrl: string,
  overrides: Env = {},
  logDestination?: UserServiceOptions["logDestination"],
): Promise<UserServiceUnderTest> {
  const forwarder = await startForwarder();
  const env = testServiceEnv({
    DATABASE_URL: databaseUrl,
    USER_KEK: testKek(),
    JWKS_URL: forwarder.url,
    ...overrides,
  });
  // Works around libs' createServiceRuntime not passing REDIS_KEY_PREFIX to the Redis
  // infrastructure it builds: without the prefix every test run shares throttle keys
  // (a lockout outlives its run) and the events.user-service stream.
  const infrastructure = createRedisInfrastructure({
    url: env.REDIS_URL ?? "redis://127.0.0.1:6379",
    service: "user-service",
    logger: createLogger({ service: "user-service", level: "silent" }),
    keyPrefix: env.REDIS_KEY_PREFIX ?? "",
  });
  let service: RunningUserService;
  try {
    service = await startUserService({
      env,
      infrastructure,
      ...(logDestination ? { logDestination } : {}),
    });
  } catch (error) {
    await infrastructure.close().catch(() => undefined);
    await forwarder.close();
    throw error;
  }
  forwarder.forwardTo(service.httpPort);
  const client = await createTestClient(UserServiceClient, {
    port: service.grpcPort,
    upstream: "user-service",
  });
  return {
    service,
    client,
    env,
    jwksUrl: `http://127.0.0.1:${service.httpPort}${JWKS_PATH}`,
    async stop() {
      client.close();
      await service.stop();
      await forwarder.close();
    },
  };
}

/** A scratch database for one test file. */
export function scratchDatabase(): Promise<ScratchDatabase> {
  return createScratchDatabase(TEST_ADMIN_URL);
}

/** The error a call rejected with; fails the test when it resolved. */
export async function rejection(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ServiceError) return error;
    throw error;
  }
  throw new Error("expected the call to fail");
}

/** The caller identity a test client sends for a signed-in user (`{ ctx: { user } }`). */
export function signedInAs(signedIn: { user?: { id: string } | undefined; accessToken: string }): {
  ctx: { user: UserIdentity };
} {
  const claims = decodeJwt(signedIn.accessToken);
  return {
    ctx: {
      user: {
        userId: signedIn.user?.id ?? String(claims.sub),
        role: claims.role === "admin" ? "admin" : "customer",
        token: signedIn.accessToken,
        expiresAt: claims.exp ?? 0,
      },
    },
  };
}

/** A unique address for one test. */
export function uniqueEmail(label = "user"): string {
  return `${label}.${randomBytes(5).toString("hex")}@example.com`;
}

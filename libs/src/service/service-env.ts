import { join } from "node:path";
import { env } from "../config";
import { LOG_LEVELS } from "../logging";
import { SERVICES, type ServiceName, type ServiceSpec, serviceSpec } from "../mesh";
import { findRepoRoot } from "../runtime-config";

/** `product-service` -> `PRODUCT_SERVICE_ADDR`: where this process reaches an upstream. */
export function upstreamAddressVariable(service: ServiceName): string {
  return `${service.toUpperCase().replaceAll("-", "_")}_ADDR`;
}

/** Where `npm run setup` writes the dev service-identity keys. */
export function devServiceKeysDir(): string {
  return join(findRepoRoot(), ".dev", "service-keys");
}

/**
 * The environment every process reads, with defaults that run the mesh locally on the
 * ports of DESIGN.md. A service adds its own variables to this shape; `DATABASE_URL` is
 * required for the services that own a database and has no default: the dev runner,
 * the tests and the Kubernetes Secret each say which database to use.
 */
export function serviceEnvShape(name: ServiceName) {
  const spec: ServiceSpec = serviceSpec(name);
  const keys = devServiceKeysDir();
  const upstreams = Object.fromEntries(
    SERVICES.filter((s) => s.name !== name && s.name !== "api-gateway").map((s) => [
      upstreamAddressVariable(s.name),
      env.string().default(`127.0.0.1:${s.grpcPort}`),
    ]),
  );
  return {
    LOG_LEVEL: env.oneOf(LOG_LEVELS).default("info"),
    /** Bind address of both servers: loopback outside the mesh, 0.0.0.0 in a pod. */
    HOST: env.string().default("127.0.0.1"),
    GRPC_PORT: env.port().default(spec.grpcPort),
    HTTP_PORT: env.port().default(spec.httpPort),
    MESH_MODE: env.oneOf(["local", "istio"]).default("local"),
    REDIS_URL: env.url("redis", "rediss").default("redis://127.0.0.1:6379"),
    /** Prepended to every Redis key and stream, to share one Redis between environments. */
    REDIS_KEY_PREFIX: env.string().default(""),
    JWKS_URL: env.url("http", "https").default("http://127.0.0.1:8001/.well-known/jwks.json"),
    JWT_ISSUER: env.string().default("user-service"),
    JWT_AUDIENCE: env.string().default("shop-api"),
    SERVICE_KEY_PATH: env.string().default(join(keys, `${name}.key.pem`)),
    SERVICE_JWKS_PATH: env.string().default(join(keys, "service-jwks.json")),
    RUNTIME_CONFIG_PATH: env.string().optional(),
    SHUTDOWN_GRACE: env.durationMs().default(10_000),
    DATABASE_POOL_MAX: env.int(1, 200).default(10),
    /** How long a query waits for a free pool connection before failing UNAVAILABLE. */
    DATABASE_POOL_TIMEOUT: env.durationMs().default(5_000),
    /** A name for this instance in consumer groups and logs (the pod name in a cluster). */
    INSTANCE_ID: env.string().default(`${name}-${process.pid}`),
    ...upstreams,
  };
}

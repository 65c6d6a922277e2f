/**
 * The environment of each process of a local mesh: its ports, where its upstreams are,
 * its database, the JWKS on user-service's admin port, its secrets. One function for
 * `npm run dev`, the embedded mode, the end-to-end tests and the benchmarks, so they all
 * run the mesh the same way.
 */
import { join } from "node:path";
import type { Env } from "@shop/libs/config";
import { SERVICES, type ServiceName } from "@shop/libs/mesh";
import { upstreamAddressVariable } from "@shop/libs/service";
import type { DevSecrets } from "../dev-secrets";

export type MeshPorts = Record<ServiceName, { http: number; grpc: number }>;

/** The ports of DESIGN.md. */
export const DEFAULT_PORTS: MeshPorts = Object.fromEntries(
  SERVICES.map((s) => [s.name, { http: s.httpPort, grpc: s.grpcPort }]),
) as MeshPorts;

export interface MeshEnvOptions {
  /** What every process inherits (normally process.env). */
  base: Env;
  ports: MeshPorts;
  /** DATABASE_URL of each service that owns a database. */
  databaseUrls: Partial<Record<ServiceName, string>>;
  secrets: DevSecrets;
  /** Finished spans as JSON lines, for `npm run trace` (no collector needed). */
  spanFile?: string;
  /** Shared by all processes: separates test runs sharing one Redis. */
  redisKeyPrefix?: string;
}

export function meshEnv(options: MeshEnvOptions): Record<ServiceName, Env> {
  const { ports } = options;
  const upstreams = Object.fromEntries(
    SERVICES.filter((s) => s.name !== "api-gateway").map((s) => [
      upstreamAddressVariable(s.name),
      `127.0.0.1:${ports[s.name].grpc}`,
    ]),
  );
  const envs = {} as Record<ServiceName, Env>;
  for (const { name } of SERVICES) {
    envs[name] = {
      ...options.base,
      ...upstreams,
      HTTP_PORT: String(ports[name].http),
      GRPC_PORT: String(ports[name].grpc),
      JWKS_URL: `http://127.0.0.1:${ports["user-service"].http}/.well-known/jwks.json`,
      OTEL_SERVICE_NAME: name,
      ...(options.spanFile ? { SHOP_SPAN_FILE: options.spanFile } : {}),
      ...(options.redisKeyPrefix ? { REDIS_KEY_PREFIX: options.redisKeyPrefix } : {}),
      ...(options.databaseUrls[name] ? { DATABASE_URL: options.databaseUrls[name] } : {}),
      ...(name === "user-service" ? { USER_KEK: options.secrets.userKek } : {}),
    };
  }
  return envs;
}

/** `postgres://<role>:<password>@<host>/<database>` from the admin URL's host and port. */
export function serviceDatabaseUrls(
  adminUrl: string,
  secrets: DevSecrets,
): Partial<Record<ServiceName, string>> {
  const urls: Partial<Record<ServiceName, string>> = {};
  for (const service of SERVICES) {
    if (!service.database) continue;
    const url = new URL(adminUrl);
    url.username = service.database.role;
    url.password = secrets.dbPasswords[service.database.role] ?? "";
    url.pathname = `/${service.database.name}`;
    urls[service.name] = url.toString();
  }
  return urls;
}

/** The entry point of each process. */
export function mainScript(root: string, name: ServiceName): string {
  const spec = SERVICES.find((s) => s.name === name)!;
  return join(root, spec.dir, "src", "main.ts");
}

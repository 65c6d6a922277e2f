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
import { z } from "zod";
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

const portNumber = z.number().int().min(1).max(65_535);
const meshPortsSchema = z.strictObject(
  Object.fromEntries(
    SERVICES.map((s) => [s.name, z.strictObject({ http: portNumber, grpc: portNumber })]),
  ) as Record<ServiceName, z.ZodObject<{ http: typeof portNumber; grpc: typeof portNumber }>>,
);

/**
 * Ports given as JSON (`{"api-gateway":{"http":8000,"grpc":9000},...}`, every process
 * named), as the embedded mode's `--ports` takes them. Throws naming what is wrong.
 */
export function parseMeshPorts(text: string): MeshPorts {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`--ports is not JSON: ${(error as Error).message}`);
  }
  const parsed = meshPortsSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new Error(`--ports is not valid: ${issues.join("; ")}`);
  }
  const ports = parsed.data as MeshPorts;
  const all = Object.values(ports).flatMap((p) => [p.http, p.grpc]);
  const repeated = all.find((port, i) => all.indexOf(port) !== i);
  if (repeated !== undefined) throw new Error(`--ports uses port ${repeated} twice`);
  return ports;
}

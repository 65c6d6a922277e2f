/**
 * The whole mesh for end-to-end and fault tests, started the way `npm run dev` starts
 * it (the same environment, entry points, telemetry preload and supervisor) but on free
 * ports, with scratch databases and its own Redis key prefix, so it never disturbs a
 * running `npm run dev` or another test. Logs and spans are kept for assertions.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Env } from "@shop/libs/config";
import { createPool } from "@shop/libs/db";
import { createLogger } from "@shop/libs/logging";
import { SERVICES, type ServiceName } from "@shop/libs/mesh";
import type { SpanRecord } from "@shop/libs/telemetry";
import {
  createScratchDatabase,
  type ScratchDatabase,
  TEST_ADMIN_URL,
  uniquePrefix,
} from "@shop/libs/testing";
import { seedDemoCatalog } from "@shop/product-service";
import { type MeshPorts, mainScript, meshEnv } from "../../scripts/dev/mesh-env";
import { waitForReady } from "../../scripts/dev/reachability";
import { createSupervisor, type ProcessDefinition } from "../../scripts/dev/supervisor";
import { loadDevSecrets } from "../../scripts/dev-secrets";

const ROOT = join(__dirname, "..", "..");
const TSX = join(ROOT, "node_modules", ".bin", "tsx");
const PRELOAD = join(ROOT, "libs", "src", "telemetry", "preload.ts");
const START_ORDER: ServiceName[] = [
  "user-service",
  "product-service",
  "order-service",
  "api-gateway",
];

export interface TestMesh {
  readonly ports: MeshPorts;
  /** `http://127.0.0.1:<port>` of the gateway's REST API. */
  readonly gatewayUrl: string;
  /** Each service's scratch database, for checking invariants with SQL. */
  readonly databases: Readonly<Partial<Record<ServiceName, ScratchDatabase>>>;
  /** The environment each process was started with. */
  readonly envs: Readonly<Record<ServiceName, Env>>;
  /** Every log line so far, parsed (non-JSON lines are kept as `{ raw }`). */
  logs(service?: ServiceName): Record<string, unknown>[];
  /** Every finished span exported so far. */
  spans(): SpanRecord[];
  /** Kills one process (default SIGKILL) and waits for it to exit. */
  kill(service: ServiceName, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a killed process again (optionally with extra env) and waits until ready. */
  restart(service: ServiceName, extraEnv?: Env): Promise<void>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(),
      );
    });
  });
}

export interface TestMeshOptions {
  /** Extra variables per service (FAULT_* switches, shorter intervals, ...). */
  env?: Partial<Record<ServiceName, Env>>;
  readyTimeoutMs?: number;
}

export async function startTestMesh(options: TestMeshOptions = {}): Promise<TestMesh> {
  const ports = {} as MeshPorts;
  for (const { name } of SERVICES) ports[name] = { http: await freePort(), grpc: await freePort() };
  const databases: Partial<Record<ServiceName, ScratchDatabase>> = {};
  for (const { name, database } of SERVICES) {
    if (database) databases[name] = await createScratchDatabase(TEST_ADMIN_URL);
  }
  const dir = mkdtempSync(join(tmpdir(), "mesh-"));
  const spanFile = join(dir, "spans.jsonl");
  const base = meshEnv({
    base: { ...process.env, LOG_LEVEL: "info", SHUTDOWN_GRACE: "3s" },
    ports,
    databaseUrls: Object.fromEntries(Object.entries(databases).map(([n, db]) => [n, db!.url])),
    secrets: loadDevSecrets(),
    spanFile,
    redisKeyPrefix: uniquePrefix("e2e"),
  });
  const envs = {} as Record<ServiceName, Env>;
  for (const { name } of SERVICES) envs[name] = { ...base[name], ...options.env?.[name] };

  const lines: string[] = [];
  const supervisor = createSupervisor({
    pretty: false,
    restart: false,
    write: (line) => lines.push(line),
  });
  const definition = (name: ServiceName, extra: Env = {}): ProcessDefinition => ({
    name,
    command: TSX,
    args: ["--require", PRELOAD, mainScript(ROOT, name)],
    env: { ...envs[name], ...extra } as NodeJS.ProcessEnv,
  });
  const timeout = options.readyTimeoutMs ?? 60_000;
  const ready = (name: ServiceName) =>
    waitForReady(`http://127.0.0.1:${ports[name].http}/ready`, timeout);

  const mesh: TestMesh = {
    ports,
    gatewayUrl: `http://127.0.0.1:${ports["api-gateway"].http}`,
    databases,
    envs,
    logs(service) {
      return lines
        .map((line) => {
          try {
            return JSON.parse(line) as Record<string, unknown>;
          } catch {
            return { raw: line };
          }
        })
        .filter((record) => service === undefined || record.service === service);
    },
    spans() {
      try {
        return readFileSync(spanFile, "utf8")
          .split("\n")
          .filter((l) => l.trim() !== "")
          .map((l) => JSON.parse(l) as SpanRecord);
      } catch {
        return [];
      }
    },
    kill: (service, signal) => supervisor.kill(service, signal),
    async restart(service, extraEnv) {
      supervisor.start(definition(service, extraEnv));
      await ready(service);
    },
    async stop() {
      await supervisor.stop();
      for (const db of Object.values(databases)) await db!.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    for (const name of START_ORDER) {
      supervisor.start(definition(name));
    }
    await Promise.all(START_ORDER.map(ready));
    // The demo catalog, as `npm run setup` loads it.
    const logger = createLogger({ service: "test-mesh", level: "warn" });
    const pool = createPool({
      url: databases["product-service"]!.url,
      applicationName: "seed",
      logger,
    });
    await seedDemoCatalog(pool, logger).finally(() => pool.end());
  } catch (error) {
    const tail = lines
      .slice(-30)

      .join("\n");
    await mesh.stop();
    throw new Error(`the mesh did not start: ${(error as Error).message}\n${tail}`);
  }
  return mesh;
}

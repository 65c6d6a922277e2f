/**
 * The whole mesh for end-to-end and fault tests, started the way `npm run dev` starts
 * it (the same environment, entry points, telemetry preload and supervisor) but on free
 * ports, with scratch databases and its own Redis key prefix, so it never disturbs a
 * running `npm run dev` or another test. Logs and spans are kept for assertions, in
 * files too (`logFile`, `spanFile`), so `npm run trace` can be pointed at them.
 *
 * `startEmbeddedTestMesh` does the same for the embedded mode: one process, PGlite
 * databases in a temp folder, in-memory Redis stand-ins.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
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
import { type MeshPorts, meshEnv } from "../../scripts/dev/mesh-env";
import {
  embeddedProcess,
  meshProcesses,
  readyUrl,
  START_ORDER,
  serviceProcess,
} from "../../scripts/dev/mesh-processes";
import { waitForReady } from "../../scripts/dev/reachability";
import { createSupervisor, type Supervisor } from "../../scripts/dev/supervisor";
import { loadDevSecrets } from "../../scripts/dev-secrets";
import { freePorts } from "./free-ports";

/** What both kinds of test mesh offer. */
export interface MeshUnderTest {
  readonly ports: MeshPorts;
  /** `http://127.0.0.1:<port>` of the gateway's REST API. */
  readonly gatewayUrl: string;
  /** Every line of every process, as JSON lines (what .dev/logs.jsonl is for npm run dev). */
  readonly logFile: string;
  /** Finished spans as JSON lines (what .dev/spans.jsonl is for npm run dev). */
  readonly spanFile: string;
  /**
   * Every log line so far, parsed. A line that was not JSON, and each report of the
   * supervisor (a crash, a restart: service "dev"), also has `raw`: its text.
   */
  logs(service?: ServiceName): Record<string, unknown>[];
  /** Every finished span exported so far. */
  spans(): SpanRecord[];
  stop(): Promise<void>;
}

export interface TestMesh extends MeshUnderTest {
  /** Each service's scratch database, for checking invariants with SQL. */
  readonly databases: Readonly<Partial<Record<ServiceName, ScratchDatabase>>>;
  /** The environment each process was started with. */
  readonly envs: Readonly<Record<ServiceName, Env>>;
  /** Kills one process (default SIGKILL) and waits for it to exit. */
  kill(service: ServiceName, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a killed process again (optionally with extra env) and waits until ready. */
  restart(service: ServiceName, extraEnv?: Env): Promise<void>;
}

export interface EmbeddedTestMesh extends MeshUnderTest {
  /** The PGlite databases' folder (removed by stop()). */
  readonly dataDir: string;
}

export interface TestMeshOptions {
  /** Extra variables per service (FAULT_* switches, shorter intervals, ...). */
  env?: Partial<Record<ServiceName, Env>>;
  readyTimeoutMs?: number;
  /** Superuser URL the scratch databases are created through (default TEST_ADMIN_URL). */
  adminUrl?: string;
}

async function meshPorts(): Promise<MeshPorts> {
  const numbers = await freePorts(SERVICES.length * 2);
  return Object.fromEntries(
    SERVICES.map(({ name }, i) => [name, { http: numbers[2 * i]!, grpc: numbers[2 * i + 1]! }]),
  ) as MeshPorts;
}

/** The collecting side shared by both kinds: a supervisor whose output is kept. */
function observedSupervisor(dir: string) {
  const lines: string[] = [];
  const logFile = join(dir, "logs.jsonl");
  const spanFile = join(dir, "spans.jsonl");
  const supervisor = createSupervisor({
    pretty: false,
    restart: false,
    write: (line) => lines.push(line),
    logFile,
    stopGraceMs: 10_000,
  });
  const observed = {
    logFile,
    spanFile,
    logs(service?: ServiceName) {
      return lines
        .map((line): Record<string, unknown> => {
          try {
            const record = JSON.parse(line) as Record<string, unknown>;
            const plain = record.stream !== undefined || record.service === "dev";
            return plain ? { ...record, raw: record.message } : record;
          } catch {
            return { raw: line };
          }
        })
        .filter((record) => service === undefined || record.service === service);
    },
    spans(): SpanRecord[] {
      try {
        return readFileSync(spanFile, "utf8")
          .split("\n")
          .filter((l) => l.trim() !== "")
          .map((l) => JSON.parse(l) as SpanRecord);
      } catch {
        return [];
      }
    },
    tail: () => lines.slice(-30).join("\n"),
  };
  return { supervisor, observed };
}

async function whenAllReady(
  supervisor: Supervisor,
  ports: MeshPorts,
  timeoutMs: number,
): Promise<void> {
  const failed = supervisor.failed.then((name) => {
    throw new Error(`${name} exited before it was ready`);
  });
  await Promise.race([
    failed,
    Promise.all(START_ORDER.map((name) => waitForReady(readyUrl(ports, name), timeoutMs))),
  ]);
}

export async function startTestMesh(options: TestMeshOptions = {}): Promise<TestMesh> {
  const ports = await meshPorts();
  const databases: Partial<Record<ServiceName, ScratchDatabase>> = {};
  for (const { name, database } of SERVICES) {
    if (database) {
      databases[name] = await createScratchDatabase(options.adminUrl ?? TEST_ADMIN_URL);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), "mesh-"));
  const { supervisor, observed } = observedSupervisor(dir);
  const base = meshEnv({
    base: { ...process.env, LOG_LEVEL: "info", SHUTDOWN_GRACE: "3s" },
    ports,
    databaseUrls: Object.fromEntries(Object.entries(databases).map(([n, db]) => [n, db!.url])),
    secrets: loadDevSecrets(),
    spanFile: observed.spanFile,
    redisKeyPrefix: uniquePrefix("e2e"),
  });
  const envs = {} as Record<ServiceName, Env>;
  for (const { name } of SERVICES) envs[name] = { ...base[name], ...options.env?.[name] };
  const timeout = options.readyTimeoutMs ?? 60_000;

  const mesh: TestMesh = {
    ports,
    gatewayUrl: `http://127.0.0.1:${ports["api-gateway"].http}`,
    databases,
    envs,
    logFile: observed.logFile,
    spanFile: observed.spanFile,
    logs: observed.logs,
    spans: observed.spans,
    kill: (service, signal) => supervisor.kill(service, signal),
    async restart(service, extraEnv) {
      supervisor.start(serviceProcess(service, { ...envs[service], ...extraEnv }, ports));
      await waitForReady(readyUrl(ports, service), timeout);
    },
    async stop() {
      await supervisor.stop();
      for (const db of Object.values(databases)) await db!.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    for (const definition of meshProcesses(envs, ports)) supervisor.start(definition);
    await whenAllReady(supervisor, ports, timeout);
    // The demo catalog, as `npm run setup` loads it.
    const logger = createLogger({ service: "test-mesh", level: "warn" });
    const pool = createPool({
      url: databases["product-service"]!.url,
      applicationName: "seed",
      logger,
    });
    await seedDemoCatalog(pool, logger).finally(() => pool.end());
  } catch (error) {
    const tail = observed.tail();
    await mesh.stop();
    throw new Error(`the mesh did not start: ${(error as Error).message}\n${tail}`);
  }
  return mesh;
}

/** The embedded mode on free ports, its databases in a new temp folder. */
export async function startEmbeddedTestMesh(
  options: { readyTimeoutMs?: number } = {},
): Promise<EmbeddedTestMesh> {
  const ports = await meshPorts();
  const dir = mkdtempSync(join(tmpdir(), "mesh-embedded-"));
  const dataDir = join(dir, "data");
  const { supervisor, observed } = observedSupervisor(dir);
  const mesh: EmbeddedTestMesh = {
    ports,
    gatewayUrl: `http://127.0.0.1:${ports["api-gateway"].http}`,
    dataDir,
    logFile: observed.logFile,
    spanFile: observed.spanFile,
    logs: observed.logs,
    spans: observed.spans,
    async stop() {
      await supervisor.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    supervisor.start(
      embeddedProcess({
        base: { ...process.env, LOG_LEVEL: "info", SHUTDOWN_GRACE: "3s" },
        ports,
        dataDir,
        spanFile: observed.spanFile,
      }),
    );
    await whenAllReady(supervisor, ports, options.readyTimeoutMs ?? 90_000);
  } catch (error) {
    const tail = observed.tail();
    await mesh.stop();
    throw new Error(`the embedded mesh did not start: ${(error as Error).message}\n${tail}`);
  }
  return mesh;
}

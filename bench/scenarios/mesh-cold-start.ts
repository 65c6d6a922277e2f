/**
 * Cold start of the whole mesh, against the seed's budget of 10 s per service.
 *
 * - `processes` (what `govern budgets` gates): user-service, product-service,
 *   order-service and api-gateway started the way `npm run dev` starts them (plain node
 *   with tsx's CommonJS hook and the telemetry preload, the dev databases that
 *   `npm run setup` made, migrations already applied), one after another, each timed
 *   from spawn to its /ready answering 200.
 * - In `setup`, MESH_COLD_START_RUNS (default 5) more cold starts of the whole mesh as
 *   `npm run dev` does it: all four spawned at once on fresh ports, timed per process and
 *   until all are ready; then the same with the bundle per process that
 *   scripts/build-dist.ts makes for the container images, run as their ENTRYPOINT
 *   runs it (plain node, source maps on). Those figures are in the notes
 *   (the results schema records one start per process).
 * - The one variant is the Quick Start's GET /api/products through the gateway, right
 *   after the cold start, with no warm-up: how the first seconds of a fresh mesh serve.
 *
 * Needs `npm run setup` first (the dev databases and keys).
 */
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import type { Env } from "@shop/libs/config";
import { SERVICES, type ServiceName } from "@shop/libs/mesh";
import { type MeshPorts, meshEnv, serviceDatabaseUrls } from "../../scripts/dev/mesh-env";
import { REPO_ROOT, START_ORDER, typescriptCommand } from "../../scripts/dev/mesh-processes";
import { DEV_DIR, loadDevSecrets } from "../../scripts/dev-secrets";
import { defineScenario, findFreePort, type ProcessSpec, startProcesses } from "../harness";

const ADMIN_URL = process.env.PG_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const RUNS = Number(process.env.MESH_COLD_START_RUNS ?? 5);
const UNLIMITED = "10000000/1m";
const KEYS_DIR = join(DEV_DIR, "service-keys");
const PORT_NAMES = START_ORDER.flatMap((name) => [`${name}:http`, `${name}:grpc`] as const);
type PortName = (typeof PORT_NAMES)[number];

/** Filled in by setup, read by the harness when it writes the results. */
const notes: string[] = [
  "databases: the dev databases of `npm run setup` (migrations already applied, demo catalog loaded), as `npm run dev` finds them",
  "gateway rate limits raised to 10000000/1m for the products load",
];

function portsOf(named: Readonly<Record<string, number>>): MeshPorts {
  return Object.fromEntries(
    START_ORDER.map((name) => [
      name,
      { http: named[`${name}:http`]!, grpc: named[`${name}:grpc`]! },
    ]),
  ) as MeshPorts;
}

/** Extra variables of one process. */
type ExtraEnv = (name: ServiceName) => Env;
const NONE: ExtraEnv = () => ({});

function envsFor(ports: MeshPorts, extra: ExtraEnv): Record<ServiceName, Record<string, string>> {
  const secrets = loadDevSecrets();
  const envs = meshEnv({
    base: {},
    ports,
    databaseUrls: serviceDatabaseUrls(ADMIN_URL, secrets),
    secrets,
    redisKeyPrefix: "bench:mesh-cold-start:",
  });
  const defined = (env: Env) =>
    Object.fromEntries(
      Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined),
    );
  return Object.fromEntries(
    START_ORDER.map((name) => [
      name,
      defined({
        ...envs[name],
        ...(name === "api-gateway"
          ? { RATE_LIMIT_ANONYMOUS: UNLIMITED, RATE_LIMIT_AUTHENTICATED: UNLIMITED }
          : {}),
        ...extra(name),
      }),
    ]),
  ) as Record<ServiceName, Record<string, string>>;
}

/** How one process is started: as `npm run dev` does, or compiled under plain node. */
type Launcher = (name: ServiceName) => { command: string; args: string[] };

const typescript: Launcher = (name) => {
  const dir = SERVICES.find((s) => s.name === name)!.dir;
  return typescriptCommand(join(REPO_ROOT, dir, "src", "main.ts"));
};

function specs(ports: MeshPorts, launch: Launcher, extra: ExtraEnv = NONE): ProcessSpec[] {
  const envs = envsFor(ports, extra);
  return START_ORDER.map((name) => ({
    name,
    ...launch(name),
    env: envs[name],
    ready: { url: `http://127.0.0.1:${ports[name].http}/ready` },
    readyTimeoutMs: 60_000,
  }));
}

async function freshPorts(): Promise<MeshPorts> {
  const taken = new Set<number>();
  const named: Record<string, number> = {};
  for (const name of PORT_NAMES) {
    let port = await findFreePort();
    while (taken.has(port)) port = await findFreePort();
    taken.add(port);
    named[name] = port;
  }
  return portsOf(named);
}

/** One cold start of the whole mesh, all four spawned at once; ms per process and in all. */
async function parallelColdStart(launch: Launcher, extra: ExtraEnv) {
  const ports = await freshPorts();
  const logDir = mkdtempSync(join(tmpdir(), "bench-cold-start-"));
  const started = performance.now();
  const groups = await Promise.allSettled(
    specs(ports, launch, extra).map((spec) => startProcesses([spec], { logDir })),
  );
  const allMs = performance.now() - started;
  await Promise.all(groups.map((g) => (g.status === "fulfilled" ? g.value.stop() : undefined)));
  const failed = groups.find((g) => g.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
  rmSync(logDir, { recursive: true, force: true });
  const perProcess = Object.fromEntries(
    groups.map((g) => {
      const process = (g as PromiseFulfilledResult<Awaited<ReturnType<typeof startProcesses>>>)
        .value.processes[0]!;
      return [process.name, process.startupMs];
    }),
  ) as Record<ServiceName, number>;
  return { perProcess, allMs };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function measure(label: string, launch: Launcher, extra: ExtraEnv = NONE): Promise<string> {
  const runs: Awaited<ReturnType<typeof parallelColdStart>>[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await parallelColdStart(launch, extra));
  const all = runs.map((r) => r.allMs);
  const per = START_ORDER.map((name) => {
    const values = runs.map((r) => r.perProcess[name]);
    return `${name} ${seconds(median(values))} (max ${seconds(Math.max(...values))})`;
  });
  return (
    `${label}, all four spawned at once, ${RUNS} runs: all ready in median ${seconds(median(all))} ` +
    `(min ${seconds(Math.min(...all))}, max ${seconds(Math.max(...all))}); per process, spawn to ready: ${per.join(", ")}`
  );
}

/**
 * The processes compiled by scripts/build-dist.ts, with node_modules linked from this
 * checkout as `npm ci` would lay them out in the image; undefined (and why) if it fails.
 */
function buildDist(): { dir: string; ms: number } | { error: string } {
  const script = join(REPO_ROOT, "scripts", "build-dist.ts");
  if (!existsSync(script)) return { error: "scripts/build-dist.ts does not exist" };
  const dir = mkdtempSync(join(tmpdir(), "bench-dist-"));
  const started = performance.now();
  const built = spawnSync(
    process.execPath,
    ["--require", require.resolve("tsx/cjs"), script, "--out", dir, ...START_ORDER],
    { cwd: REPO_ROOT, encoding: "utf8" },
  );
  if (built.status !== 0) return { error: `build-dist failed: ${built.stderr.slice(-500)}` };
  const ms = performance.now() - started;
  const root = join(REPO_ROOT, "node_modules");
  for (const name of START_ORDER) {
    const app = join(dir, name);
    mkdirSync(join(app, "node_modules", "@shop"), { recursive: true });
    for (const entry of readdirSync(root)) {
      if (entry !== "@shop") symlinkSync(join(root, entry), join(app, "node_modules", entry));
    }
    for (const entry of readdirSync(join(root, "@shop"))) {
      const target = relative(REPO_ROOT, realpathSync(join(root, "@shop", entry)));
      if (existsSync(join(app, target))) {
        symlinkSync(join("..", "..", target), join(app, "node_modules", "@shop", entry));
      }
    }
  }
  return { dir, ms };
}

export default defineScenario({
  name: "mesh-cold-start",
  description:
    "Cold start of the whole mesh as `npm run dev` runs it (spawn to /ready per process), then GET /api/products through the fresh gateway.",
  ports: PORT_NAMES,
  processes: ({ ports }) => specs(portsOf(ports as Record<PortName, number>), typescript),
  async setup() {
    notes.push(
      await measure("npm run dev's way (node --require tsx/cjs, .ts sources)", typescript),
    );
    const dist = buildDist();
    if ("error" in dist) {
      notes.push(`compiled JavaScript not measured: ${dist.error}`);
      return;
    }
    try {
      const compiled: Launcher = (name) => {
        const dir = SERVICES.find((s) => s.name === name)!.dir;
        const app = join(dist.dir, name);
        // As the image's ENTRYPOINT: the bundle starts with the telemetry preload.
        return {
          command: process.execPath,
          args: ["--enable-source-maps", join(app, dir, "src", "main.js")],
        };
      };
      // The image's layout has no .dev folder: the dev service keys are passed explicitly.
      const keys: ExtraEnv = (name) => ({
        SERVICE_KEY_PATH: join(KEYS_DIR, `${name}.key.pem`),
        SERVICE_JWKS_PATH: join(KEYS_DIR, "service-jwks.json"),
      });
      notes.push(
        await measure(
          `bundled by scripts/build-dist.ts (built in ${seconds(dist.ms)}), node --enable-source-maps as the images run it`,
          compiled,
          keys,
        ),
      );
    } finally {
      rmSync(dist.dir, { recursive: true, force: true });
    }
  },
  warmupMs: 0,
  durationMs: 3_000,
  concurrencies: [1],
  notes,
  variants: [
    {
      name: "products-after-cold-start",
      load: (_c, { ports }) => ({
        protocol: "http",
        url: `http://127.0.0.1:${ports["api-gateway:http"]}/api/products`,
      }),
    },
  ],
});

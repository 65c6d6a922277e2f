/**
 * How each process of a local mesh is started, for `npm run dev`, the end-to-end tests
 * and the cold-start benchmark alike: the service's main.ts under plain `node`, with
 * tsx's CommonJS hook and the OpenTelemetry preload, or the embedded mode's one process.
 *
 * Plain `node --require tsx/cjs` rather than the tsx CLI: the CLI is a second process
 * per service (memory, start time) that relays signals to its child, so a stop signal
 * could arrive twice and cut the graceful shutdown short.
 */
import { join } from "node:path";
import type { Env } from "@shop/libs/config";
import type { ServiceName } from "@shop/libs/mesh";
import { type MeshPorts, mainScript } from "./mesh-env";
import type { ProcessDefinition } from "./supervisor";

export const REPO_ROOT = join(__dirname, "..", "..");
export const TELEMETRY_PRELOAD = join(REPO_ROOT, "libs", "src", "telemetry", "preload.ts");
const EMBEDDED_SCRIPT = join(__dirname, "embedded.ts");

/** Start order: user-service first, since everyone verifies tokens with its JWKS. */
export const START_ORDER: readonly ServiceName[] = [
  "user-service",
  "product-service",
  "order-service",
  "api-gateway",
];

/** `node --require tsx/cjs --require <telemetry preload> <script> [args]`. */
export function typescriptCommand(
  script: string,
  args: readonly string[] = [],
): { command: string; args: string[] } {
  return {
    command: process.execPath,
    args: [
      "--require",
      require.resolve("tsx/cjs"),
      "--require",
      TELEMETRY_PRELOAD,
      script,
      ...args,
    ],
  };
}

/** The `/ready` URL of a process of the mesh. */
export function readyUrl(ports: MeshPorts, name: ServiceName): string {
  return `http://127.0.0.1:${ports[name].http}/ready`;
}

/** The four processes of the mesh, in start order, each with its environment. */
export function meshProcesses(
  envs: Readonly<Record<ServiceName, Env>>,
  ports: MeshPorts,
): ProcessDefinition[] {
  return START_ORDER.map((name) => serviceProcess(name, envs[name], ports));
}

/** One process of the mesh (also how a test restarts a killed service). */
export function serviceProcess(name: ServiceName, env: Env, ports: MeshPorts): ProcessDefinition {
  return {
    name,
    ...typescriptCommand(mainScript(REPO_ROOT, name)),
    env: env as NodeJS.ProcessEnv,
    readyUrl: readyUrl(ports, name),
  };
}

export interface EmbeddedProcessOptions {
  /** What the process inherits (normally process.env). */
  base: Env;
  ports: MeshPorts;
  /** The PGlite databases' folder; default `.dev/embedded`. */
  dataDir?: string;
  /** Start from empty databases. */
  wipe?: boolean;
  spanFile?: string;
}

/** The embedded mode: all four services in one process (see embedded.ts). */
export function embeddedProcess(options: EmbeddedProcessOptions): ProcessDefinition {
  const args = [
    "--ports",
    JSON.stringify(options.ports),
    ...(options.dataDir ? ["--data-dir", options.dataDir] : []),
    ...(options.wipe ? ["--wipe"] : []),
  ];
  return {
    name: "embedded",
    ...typescriptCommand(EMBEDDED_SCRIPT, args),
    env: {
      ...options.base,
      SHOP_EMBEDDED: "1",
      ...(options.spanFile ? { SHOP_SPAN_FILE: options.spanFile } : {}),
    } as NodeJS.ProcessEnv,
    readyUrl: readyUrl(options.ports, "api-gateway"),
  };
}

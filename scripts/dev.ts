/**
 * `npm run dev` (or `make local`): the whole mesh on this machine, in one command.
 *
 * With PostgreSQL (PG_ADMIN_URL) and Redis (REDIS_URL) reachable: setup (databases,
 * roles, keys, migrations, demo data), then user-service, product-service,
 * order-service and api-gateway as separate processes on the ports of DESIGN.md,
 * each with the OpenTelemetry preload. Without them, or with `--embedded`: the
 * embedded mode (PGlite and in-memory adapters in one process). Waits until every
 * /ready is green, prints where everything runs, and stops everything on Ctrl-C.
 *
 * Output: pretty lines prefixed by service on a terminal, JSON lines otherwise (then
 * the table goes to stderr, so stdout stays JSON). Every line also goes to
 * .dev/logs.jsonl, where `npm run trace -- <request id>` finds the request's trace.
 *
 * Flags: --embedded (force the embedded mode), --wipe (embedded: start from empty
 * databases), --data-dir <dir> (embedded: where the databases live), --no-restart
 * (report a crashed process and stop instead of restarting).
 */
import { existsSync, renameSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { SERVICES, type ServiceName } from "@shop/libs/mesh";
import { DEFAULT_PORTS, meshEnv, serviceDatabaseUrls } from "./dev/mesh-env";
import { embeddedProcess, meshProcesses, readyUrl, START_ORDER } from "./dev/mesh-processes";
import { portInUse, postgresReachable, redisReachable, waitForReady } from "./dev/reachability";
import { readyTable } from "./dev/ready-table";
import { createSupervisor, type ProcessDefinition } from "./dev/supervisor";
import { DEV_DIR, loadDevSecrets } from "./dev-secrets";
import { DEFAULT_ADMIN_URL, runSetup } from "./setup";

const READY_TIMEOUT_MS = 60_000;
/** The span and log files start afresh (the old one kept as .1) past this size. */
const ROTATE_BYTES = 50 * 1024 * 1024;
export const SPAN_FILE = join(DEV_DIR, "spans.jsonl");
export const LOG_FILE = join(DEV_DIR, "logs.jsonl");

function rotate(file: string): void {
  if (existsSync(file) && statSync(file).size > ROTATE_BYTES) renameSync(file, `${file}.1`);
}

async function main(): Promise<void> {
  let values: { embedded?: boolean; wipe?: boolean; "data-dir"?: string; "no-restart"?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        embedded: { type: "boolean" },
        wipe: { type: "boolean" },
        "data-dir": { type: "string" },
        "no-restart": { type: "boolean" },
      },
    }));
  } catch (error) {
    console.error(`dev: ${(error as Error).message}`);
    console.error("known options: --embedded, --wipe, --data-dir <dir>, --no-restart");
    process.exit(2);
  }
  const adminUrl = process.env.PG_ADMIN_URL ?? DEFAULT_ADMIN_URL;
  const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const pretty = process.stdout.isTTY === true;
  // On a pipe stdout carries JSON lines only; the runner's own words go there as JSON too.
  const say = (line: string) =>
    process.stdout.write(
      pretty
        ? `dev: ${line}\n`
        : `${JSON.stringify({ timestamp: new Date().toISOString(), service: "dev", level: "info", message: line })}\n`,
    );

  let embedded = values.embedded === true;
  if (!embedded) {
    const [pg, redis] = await Promise.all([postgresReachable(adminUrl), redisReachable(redisUrl)]);
    if (!pg || !redis) {
      const missing = [
        !pg && `PostgreSQL (${new URL(adminUrl).host})`,
        !redis && `Redis (${redisUrl})`,
      ];
      say(`${missing.filter(Boolean).join(" and ")} not reachable: starting in EMBEDDED mode`);
      say("(PGlite databases on disk, in-memory cache, limits and event bus, one process)");
      embedded = true;
    }
  }

  const ports = DEFAULT_PORTS;
  const taken = [];
  for (const name of START_ORDER) {
    for (const port of [ports[name].http, ports[name].grpc])
      if (await portInUse(port)) taken.push(`${port} (${name})`);
  }
  if (taken.length > 0) {
    console.error(
      `dev: port ${taken.join(", ")} already in use: is another \`npm run dev\` running?`,
    );
    console.error("     Find it with: ss -ltnp | grep -E ':(8000|8001|8002|8003|9000|5005[123])'");
    process.exit(1);
  }

  rotate(SPAN_FILE);
  rotate(LOG_FILE);
  const supervisor = createSupervisor({
    pretty,
    restart: values["no-restart"] !== true,
    write: (line) => process.stdout.write(`${line}\n`),
    logFile: LOG_FILE,
  });
  let stopping: Promise<never> | undefined;
  const stop = (code: number): Promise<never> => {
    stopping ??= (async () => {
      say("stopping...");
      await supervisor.stop();
      say("stopped");
      process.exit(code);
    })();
    return stopping;
  };
  let firstSignalAt: number | undefined;
  const onSignal = () => {
    // One Ctrl-C arrives several times (from the terminal, and relayed by npm and tsx),
    // so only a second press, a moment later, skips the graceful stop.
    if (firstSignalAt !== undefined && Date.now() - firstSignalAt > 1_000) {
      say("interrupted again: killing every process now");
      process.exit(130);
    }
    firstSignalAt ??= Date.now();
    void stop(0);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  let definitions: ProcessDefinition[];
  if (embedded) {
    definitions = [
      embeddedProcess({
        base: process.env,
        ports,
        ...(values["data-dir"] ? { dataDir: values["data-dir"] } : {}),
        wipe: values.wipe === true,
        spanFile: SPAN_FILE,
      }),
    ];
  } else {
    if (values.wipe || values["data-dir"]) say("--wipe and --data-dir apply to --embedded only");
    say("setup: databases, roles, keys, migrations, demo data");
    await runSetup(adminUrl, (line) => say(`  ${line}`));
    const secrets = loadDevSecrets();
    const envs = meshEnv({
      base: process.env,
      ports,
      databaseUrls: serviceDatabaseUrls(adminUrl, secrets),
      secrets,
      spanFile: SPAN_FILE,
    });
    definitions = meshProcesses(envs, ports);
  }

  const startupMs: Partial<Record<ServiceName, number>> = {};
  try {
    for (const definition of definitions) supervisor.start(definition);
    const failure = supervisor.failed.then((name) => {
      throw new Error(`${name} exited before it was ready`);
    });
    await Promise.race([
      failure,
      Promise.all(
        SERVICES.map(async ({ name }) => {
          startupMs[name] = await waitForReady(readyUrl(ports, name), READY_TIMEOUT_MS);
        }),
      ),
    ]);
  } catch (error) {
    console.error(`dev: ${error instanceof Error ? error.message : String(error)}`);
    await stop(1);
  }
  const table = readyTable(ports, startupMs, embedded ? "embedded" : "processes");
  (pretty ? process.stdout : process.stderr).write(`${table}\n`);
  void supervisor.failed.then(() => stop(1));
}

main().catch((error: unknown) => {
  console.error(`dev: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

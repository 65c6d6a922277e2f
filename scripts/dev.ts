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
 * Flags: --embedded (force the embedded mode), --wipe (embedded: start from empty
 * databases), --no-restart (report a crashed process and stop instead of restarting).
 */
import { join } from "node:path";
import { SERVICES, type ServiceName } from "@shop/libs/mesh";
import { DEFAULT_PORTS, mainScript, meshEnv, serviceDatabaseUrls } from "./dev/mesh-env";
import { portInUse, postgresReachable, redisReachable, waitForReady } from "./dev/reachability";
import { readyTable } from "./dev/ready-table";
import { createSupervisor, type ProcessDefinition } from "./dev/supervisor";
import { DEV_DIR, loadDevSecrets } from "./dev-secrets";
import { DEFAULT_ADMIN_URL, runSetup } from "./setup";

const ROOT = join(__dirname, "..");
const TSX = join(ROOT, "node_modules", ".bin", "tsx");
const PRELOAD = join(ROOT, "libs", "src", "telemetry", "preload.ts");
const READY_TIMEOUT_MS = 60_000;

/** Start order: user-service first, since everyone verifies tokens with its JWKS. */
const START_ORDER: ServiceName[] = [
  "user-service",
  "product-service",
  "order-service",
  "api-gateway",
];

function say(line: string): void {
  process.stdout.write(`dev: ${line}\n`);
}

async function main(): Promise<void> {
  const args = new Set(process.argv.slice(2));
  const unknown = [...args].filter((a) => !["--embedded", "--wipe", "--no-restart"].includes(a));
  if (unknown.length > 0) {
    console.error(`unknown option ${unknown.join(" ")}; known: --embedded, --wipe, --no-restart`);
    process.exit(2);
  }
  const adminUrl = process.env.PG_ADMIN_URL ?? DEFAULT_ADMIN_URL;
  const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const restart = !args.has("--no-restart");
  const pretty = process.stdout.isTTY === true;

  let embedded = args.has("--embedded");
  if (!embedded) {
    const [pg, redis] = await Promise.all([postgresReachable(adminUrl), redisReachable(redisUrl)]);
    if (!pg || !redis) {
      const missing = [
        !pg && `PostgreSQL (${new URL(adminUrl).host})`,
        !redis && `Redis (${redisUrl})`,
      ];
      say(`${missing.filter(Boolean).join(" and ")} not reachable: starting in EMBEDDED mode`);
      say(
        "(PGlite databases in .dev/embedded, in-memory cache, limits and event bus, one process)",
      );
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

  const spanFile = join(DEV_DIR, "spans.jsonl");
  const supervisor = createSupervisor({
    pretty,
    restart,
    write: (line) => process.stdout.write(`${line}\n`),
  });
  const stop = async (code: number) => {
    say("stopping...");
    await supervisor.stop();
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));

  const definitions: ProcessDefinition[] = [];
  if (embedded) {
    definitions.push({
      name: "embedded",
      command: TSX,
      args: [
        "--require",
        PRELOAD,
        join(__dirname, "dev", "embedded.ts"),
        ...(args.has("--wipe") ? ["--wipe"] : []),
      ],
      env: { ...process.env, SHOP_EMBEDDED: "1", SHOP_SPAN_FILE: spanFile },
    });
  } else {
    say("setup: databases, roles, keys, migrations, demo data");
    await runSetup(adminUrl, (line) => say(`  ${line}`));
    const envs = meshEnv({
      base: process.env,
      ports,
      databaseUrls: serviceDatabaseUrls(adminUrl, loadDevSecrets()),
      secrets: loadDevSecrets(),
      spanFile,
    });
    for (const name of START_ORDER) {
      definitions.push({
        name,
        command: TSX,
        args: ["--require", PRELOAD, mainScript(ROOT, name)],
        env: envs[name] as NodeJS.ProcessEnv,
      });
    }
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
          startupMs[name] = await waitForReady(
            `http://127.0.0.1:${ports[name].http}/ready`,
            READY_TIMEOUT_MS,
          );
        }),
      ),
    ]);
  } catch (error) {
    console.error(`dev: ${error instanceof Error ? error.message : String(error)}`);
    await stop(1);
  }
  process.stdout.write(`${readyTable(ports, startupMs, embedded ? "embedded" : "processes")}\n`);
  supervisor.failed.then(() => stop(1));
}

main().catch((error: unknown) => {
  console.error(`dev: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

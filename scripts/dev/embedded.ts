/**
 * The embedded mode of `npm run dev`: the whole mesh in one Node process, for a
 * machine with neither PostgreSQL nor Redis. Each service's database is a PGlite
 * instance (real Postgres compiled to WebAssembly) kept in a folder, and reached through
 * the `pg` client over pglite-socket; cache, rate limits, login throttling and the event
 * bus are libs' in-memory adapters, one bus shared by all. The gRPC calls between
 * services stay real, over loopback.
 *
 * Started by the dev supervisor (scripts/dev.ts, the end-to-end tests) with the
 * telemetry preload and SHOP_EMBEDDED=1, so spans carry each service's name as an
 * attribute. Flags:
 *   --data-dir <dir>  where the databases live (default .dev/embedded); kept across runs
 *   --wipe            start from empty databases
 *   --ports <json>    the ports of every process (default those of DESIGN.md), e.g.
 *                     {"api-gateway":{"http":8000,"grpc":9000},"user-service":{...},...}
 */
import { mkdirSync, rmSync } from "node:fs";
import type { AddressInfo, Server } from "node:net";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { startGateway } from "@shop/api-gateway";
import { ensureServiceKeys } from "@shop/libs/auth";
import { createMemoryEventBus } from "@shop/libs/events";
import { createLogger } from "@shop/libs/logging";
import { SERVICES, type ServiceName } from "@shop/libs/mesh";
import { createMemoryInfrastructure, type Stoppable } from "@shop/libs/service";
import { startOrderService } from "@shop/order-service";
import { seedDemoCatalog, startProductService } from "@shop/product-service";
import { startUserService } from "@shop/user-service";
import { DEV_DIR, loadDevSecrets } from "../dev-secrets";
import { DEFAULT_PORTS, meshEnv, parseMeshPorts } from "./mesh-env";

/** Where the databases live unless --data-dir says otherwise. */
export const DEFAULT_DATA_DIR = join(DEV_DIR, "embedded");

interface EmbeddedDatabase {
  url: string;
  close(): Promise<void>;
}

/** A PGlite database served on a loopback port, so the services' `pg` pools reach it. */
async function startDatabase(dir: string): Promise<EmbeddedDatabase> {
  mkdirSync(dir, { recursive: true });
  const db = await PGlite.create(dir);
  // Several connections per service pool; PGlite runs their queries one at a time.
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 64 });
  await server.start();
  const { port } = (server as unknown as { server: Server }).server.address() as AddressInfo;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async close() {
      await server.stop();
      await db.close();
    },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      "data-dir": { type: "string" },
      wipe: { type: "boolean", default: false },
      ports: { type: "string" },
    },
  });
  const logger = createLogger({ service: "embedded" });
  const dataDir = resolve(values["data-dir"] ?? DEFAULT_DATA_DIR);
  const ports = values.ports ? parseMeshPorts(values.ports) : DEFAULT_PORTS;
  if (values.wipe) {
    rmSync(dataDir, { recursive: true, force: true });
    logger.info({ dataDir }, "databases wiped");
  }
  const secrets = loadDevSecrets();
  await ensureServiceKeys(join(DEV_DIR, "service-keys"));

  const databases = new Map<ServiceName, EmbeddedDatabase>();
  const running: Stoppable[] = [];
  const bus = createMemoryEventBus({
    logger: createLogger({ service: "event-bus", level: "warn" }),
  });
  const stopAll = async () => {
    for (const service of running.reverse()) await service.stop();
    await bus.close();
    for (const db of databases.values()) await db.close();
  };
  let stopping = false;
  const onSignal = () => {
    if (stopping) process.exit(1);
    stopping = true;
    stopAll().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "stop failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  for (const service of SERVICES) {
    if (service.database) {
      databases.set(service.name, await startDatabase(join(dataDir, service.database.name)));
    }
  }
  logger.info({ dataDir }, "PGlite databases open");
  const envs = meshEnv({
    base: process.env,
    ports,
    databaseUrls: Object.fromEntries([...databases].map(([name, db]) => [name, db.url])),
    secrets,
  });
  const infrastructure = () => createMemoryInfrastructure({ bus });

  running.push(
    await startUserService({ env: envs["user-service"], infrastructure: infrastructure() }),
  );
  const product = await startProductService({
    env: envs["product-service"],
    infrastructure: infrastructure(),
  });
  running.push(product);
  const created = await seedDemoCatalog(product.runtime.pool, product.runtime.logger);
  if (created > 0) logger.info({ products: created }, "demo catalog loaded");
  running.push(
    await startOrderService({ env: envs["order-service"], infrastructure: infrastructure() }),
  );
  running.push(await startGateway({ env: envs["api-gateway"], infrastructure: infrastructure() }));
}

main().catch((error: unknown) => {
  console.error("embedded: start-up failed:", error);
  process.exit(1);
});

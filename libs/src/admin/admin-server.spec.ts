import { type ChildProcess, spawn } from "node:child_process";
import { request } from "node:http";
import { createServer } from "node:net";
import { Writable } from "node:stream";
import Redis from "ioredis";
import { Pool } from "pg";
import { Code } from "../errors";
import { createLogger } from "../logging";
import { createMetrics } from "../metrics";
import { type AdminRoute, type AdminServer, createAdminServer } from "./admin-server";
import { createReadiness, type Readiness } from "./readiness";

const PG_URL = process.env.PG_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const SERVICE = "test-service";

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A private redis-server, so the test can take Redis down without touching the shared one. */
async function startPrivateRedis(): Promise<{ port: number; process: ChildProcess }> {
  const port = await freePort();
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  await new Promise<void>((resolve, reject) => {
    child.once("error", reject);
    child.stdout!.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("Ready to accept connections")) resolve();
    });
  });
  return { port, process: child };
}

function pgCheck(pool: Pool) {
  return async () => (await pool.query("SELECT 1 AS one")).rows[0]?.one === 1;
}

interface Started {
  url: string;
  server: AdminServer;
  readiness: Readiness;
  logLines: () => Record<string, unknown>[];
}

describe("createAdminServer", () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function start(
    options: { databaseUrl?: string; redisPort?: number; routes?: Record<string, AdminRoute> } = {},
  ): Promise<Started> {
    const lines: string[] = [];
    const logger = createLogger({
      service: SERVICE,
      destination: new Writable({
        write(chunk, _encoding, callback) {
          lines.push(String(chunk));
          callback();
        },
      }),
    });
    const metrics = createMetrics(SERVICE);
    const readiness = createReadiness({ registry: metrics.registry, cacheMs: 0, timeoutMs: 500 });
    const pool = new Pool({ connectionString: options.databaseUrl ?? PG_URL, max: 1 });
    cleanups.push(() => pool.end());
    readiness.addCheck("database", pgCheck(pool), { critical: true });
    if (options.redisPort !== undefined) {
      const redis = new Redis({
        host: "127.0.0.1",
        port: options.redisPort,
        maxRetriesPerRequest: 0,
        enableOfflineQueue: false,
        retryStrategy: () => 50,
        // A stream to a killed server never closes; do not wait 2 s for it at cleanup.
        disconnectTimeout: 10,
      });
      redis.on("error", () => undefined);
      cleanups.push(() => redis.disconnect());
      await new Promise((resolve) => redis.once("ready", resolve));
      readiness.addCheck("redis", async () => (await redis.ping()) === "PONG", { critical: false });
    }
    const server = createAdminServer({
      service: SERVICE,
      metrics,
      readiness,
      logger,
      routes: options.routes,
    });
    const port = await server.start("127.0.0.1", 0);
    cleanups.push(() => server.close());
    return {
      url: `http://127.0.0.1:${port}`,
      server,
      readiness,
      logLines: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    };
  }

  async function get(url: string, init?: RequestInit) {
    const response = await fetch(url, init);
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      text,
      json: () => JSON.parse(text),
    };
  }

  it("is live at once, and ready only once marked ready with its database up", async () => {
    const { url, readiness } = await start();
    expect((await get(`${url}/health`)).json()).toEqual({ status: "ok", service: SERVICE });

    const starting = await get(`${url}/ready`);
    expect(starting.status).toBe(503);
    expect(starting.json()).toEqual({
      status: "starting",
      service: SERVICE,
      checks: { database: "up" },
    });

    readiness.markReady();
    const ready = await get(`${url}/ready?verbose=1`);
    expect(ready.status).toBe(200);
    expect(ready.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(ready.json()).toEqual({ status: "ready", service: SERVICE, checks: { database: "up" } });
  });

  it("stays ready with Redis down, reporting it in the body and as dependency_up 0", async () => {
    const redis = await startPrivateRedis();
    cleanups.push(() => redis.process.kill("SIGKILL"));
    const { url, readiness } = await start({ redisPort: redis.port });
    readiness.markReady();
    expect((await get(`${url}/ready`)).json().checks).toEqual({ database: "up", redis: "up" });

    const exited = new Promise((resolve) => redis.process.once("exit", resolve));
    redis.process.kill("SIGKILL");
    await exited;

    const ready = await get(`${url}/ready`);
    expect(ready.status).toBe(200);
    expect(ready.json()).toEqual({
      status: "ready",
      service: SERVICE,
      checks: { database: "up", redis: "down" },
    });
    const metrics = await get(`${url}/metrics`);
    expect(metrics.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(metrics.text).toContain(`dependency_up{dependency="redis",service="${SERVICE}"} 0`);
    expect(metrics.text).toContain(`dependency_up{dependency="database",service="${SERVICE}"} 1`);
  });

  it("is not ready when its own database is unreachable", async () => {
    const deadPort = await freePort();
    const { url, readiness } = await start({
      databaseUrl: `postgres://postgres@127.0.0.1:${deadPort}/postgres`,
    });
    readiness.markReady();
    const ready = await get(`${url}/ready`);
    expect(ready.status).toBe(503);
    expect(ready.json()).toEqual({
      status: "not_ready",
      service: SERVICE,
      checks: { database: "down" },
    });
    expect((await get(`${url}/health`)).status).toBe(200);
  });

  it("during shutdown: /ready says draining while /health stays up, then close refuses", async () => {
    const { url, readiness, server } = await start();
    readiness.markReady();
    expect((await get(`${url}/ready`)).status).toBe(200);

    readiness.markDraining();
    const draining = await get(`${url}/ready`);
    expect(draining.status).toBe(503);
    expect(draining.json()).toMatchObject({ status: "draining", service: SERVICE });
    expect((await get(`${url}/health`)).json()).toEqual({ status: "ok", service: SERVICE });

    await server.close();
    await expect(fetch(`${url}/health`)).rejects.toThrow();
    await server.close(); // a second close is harmless
  });

  it("closes with a keep-alive connection open and a request in flight", async () => {
    let arrived: () => void = () => undefined;
    const requestArrived = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const { url, server } = await start({ routes: { "/hang": () => arrived() } });
    await get(`${url}/health`); // leaves fetch's keep-alive connection open

    const hanging = new Promise<string>((resolve) => {
      request(`${url}/hang`, () => resolve("answered"))
        .on("error", (error) => resolve(error.message))
        .end();
    });
    await requestArrived;
    await server.close();
    expect(await hanging).toBe("socket hang up");
  });

  it("answers 404 and 405 in JSON, and HEAD like GET without a body", async () => {
    const { url } = await start();
    const missing = await get(`${url}/nope`);
    expect(missing.status).toBe(404);
    expect(missing.json()).toEqual({ status: "not_found", path: "/nope" });

    const post = await get(`${url}/health`, { method: "POST", body: "{}" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    expect(post.json()).toEqual({ status: "method_not_allowed", method: "POST" });

    const head = await get(`${url}/health`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.text).toBe("");
  });

  it("serves extra routes, and a failing one answers 500 with a log line", async () => {
    const { url, logLines } = await start({
      routes: {
        "/.well-known/jwks.json": (_req, res) => {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify({ keys: [] }));
        },
        "/broken": async () => {
          throw new Error("key store unavailable");
        },
      },
    });
    expect((await get(`${url}/.well-known/jwks.json`)).json()).toEqual({ keys: [] });

    const broken = await get(`${url}/broken`);
    expect(broken.status).toBe(500);
    expect(broken.json()).toEqual({ status: "error" });
    expect(logLines()).toEqual([
      expect.objectContaining({
        level: "error",
        message: "admin request /broken failed",
        err: expect.objectContaining({ message: "key store unavailable" }),
      }),
    ]);
  });

  it("refuses routes that would replace a built-in path", () => {
    const metrics = createMetrics(SERVICE);
    expect(() =>
      createAdminServer({
        service: SERVICE,
        metrics,
        readiness: createReadiness(),
        logger: createLogger({ service: SERVICE, level: "silent" }),
        routes: { "/metrics": () => undefined },
      }),
    ).toThrow(expect.objectContaining({ code: Code.INVALID_ARGUMENT }));
  });

  it("rejects start on a port already in use, naming the address", async () => {
    const { url } = await start();
    const port = Number(new URL(url).port);
    const second = createAdminServer({
      service: SERVICE,
      metrics: createMetrics(SERVICE),
      readiness: createReadiness(),
      logger: createLogger({ service: SERVICE, level: "silent" }),
    });
    await expect(second.start("127.0.0.1", port)).rejects.toMatchObject({
      code: Code.UNAVAILABLE,
      message: expect.stringContaining(`127.0.0.1:${port}`),
    });
    await second.close();
  });
});

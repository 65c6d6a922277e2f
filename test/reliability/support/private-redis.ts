/**
 * A redis-server of the test's own on a free loopback port, to kill and start again
 * without touching the machine's shared Redis. Persistence is on (AOF, fsync on every
 * write) because the event bus requires it in production: stream entries the outbox
 * marked published must survive a restart (libs/src/events/redis-event-bus.ts).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "./free-port";

export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  /** Starts it (again, on the same port and data directory). */
  start(): Promise<void>;
  /** SIGKILL: an outage, not a shutdown. */
  kill(): Promise<void>;
  /** Kills it and deletes its data. */
  destroy(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "reliability-redis-"));
  let child: ChildProcess | undefined;
  // A test process that dies without its afterAll must not leave a server behind.
  const onExit = () => child?.kill("SIGKILL");
  process.once("exit", onExit);
  const redis: PrivateRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      if (child) return;
      child = spawn(
        "redis-server",
        [
          ...["--port", String(port), "--bind", "127.0.0.1", "--dir", dir],
          ...["--save", "", "--appendonly", "yes", "--appendfsync", "always"],
        ],
        { stdio: "ignore" },
      );
      await untilListening(port);
    },
    async kill() {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null) return;
      const exited = once(running, "exit");
      running.kill("SIGKILL");
      await exited;
    },
    async destroy() {
      process.off("exit", onExit);
      await redis.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await redis.start();
  return redis;
}

async function untilListening(port: number): Promise<void> {
  for (let attempt = 0; attempt < 250; attempt++) {
    const answered = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: "127.0.0.1" });
      socket.once("connect", () => socket.write("PING\r\n"));
      socket.once("data", (data) => {
        socket.destroy();
        // -LOADING while the AOF is replayed: not ready yet.
        resolve(data.toString().startsWith("+PONG"));
      });
      socket.once("error", () => resolve(false));
    });
    if (answered) return;
    await sleep(20);
  }
  throw new Error(`redis-server did not answer on port ${port}`);
}

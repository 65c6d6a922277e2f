import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ServiceError } from "@shop/libs/errors";
import { processTree, readProcStat } from "./proc-stats";
import { createProcessMonitor } from "./process-monitor";
import { findFreePort, type ProcessSpec, startProcesses, tsxCommand } from "./processes";

const HTTP_FIXTURE = join(__dirname, "fixtures", "http-server.ts");
const tmp = mkdtempSync(join(tmpdir(), "bench-processes-spec-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const start = (specs: readonly ProcessSpec[]) => startProcesses(specs, { logDir: tmp });
const node = (script: string) => ({ command: process.execPath, args: ["-e", script] });
/** Gone, or exited and waiting to be reaped by an init that does not reap. */
const isGone = (pid: number) => ["Z", undefined].includes(readProcStat(pid)?.state);

async function rejection(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ServiceError) return error;
    throw error;
  }
  throw new Error("expected a rejection");
}

describe("startProcesses", () => {
  it("starts in order, waits for an HTTP URL and a TCP port, records cold start and logs", async () => {
    const [httpPort, tcpPort] = [await findFreePort(), await findFreePort()];
    const group = await start([
      {
        name: "http",
        ...tsxCommand(HTTP_FIXTURE),
        env: { PORT: String(httpPort) },
        ready: { url: `http://127.0.0.1:${httpPort}/ready` },
      },
      {
        name: "tcp",
        ...node(
          `require("node:net").createServer().listen(${tcpPort}, "127.0.0.1", () => console.log("up"))`,
        ),
        ready: { port: tcpPort },
      },
    ]);
    try {
      const http = group.get("http");
      expect(http.startupMs).toBeGreaterThan(0);
      expect(group.get("tcp").startupMs).toBeGreaterThan(0);
      expect(http.exitStatus()).toBeUndefined();
      expect(readFileSync(http.logPath, "utf8")).toContain(`listening on ${httpPort}`);
      expect(http.logPath.startsWith(group.logDir)).toBe(true);
      const response = await fetch(`http://127.0.0.1:${httpPort}/fail`);
      expect(response.status).toBe(503);
      expect(() => group.assertRunning()).not.toThrow();
      expect(() => group.get("nope")).toThrow(/no process named nope/);
    } finally {
      await group.stop();
    }
    // The fixture exits 0 on SIGTERM: it was stopped gracefully, not killed.
    expect(group.get("http").exitStatus()).toBe("exit code 0");
    expect(isGone(group.get("tcp").pid)).toBe(true);
  });

  it("fails with UNAVAILABLE and the log tail when a process ends before it is ready", async () => {
    const port = await findFreePort();
    const error = await rejection(
      start([
        {
          name: "crashing",
          ...node(`console.error("boom: no config"); process.exit(3)`),
          ready: { url: `http://127.0.0.1:${port}/ready` },
        },
      ]),
    );
    expect(error.code).toBe(Code.UNAVAILABLE);
    expect(error.message).toMatch(/process crashing ended before it was ready: exit code 3/);
    expect(error.message).toContain("boom: no config");
  });

  it("fails with DEADLINE_EXCEEDED when not ready in time, and stops what it started", async () => {
    const [port, idlePort] = [await findFreePort(), await findFreePort()];
    const pidFile = join(tmp, "first.pid");
    const error = await rejection(
      start([
        {
          name: "first",
          ...node(
            `require("node:fs").writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));` +
              `require("node:net").createServer().listen(${idlePort}, "127.0.0.1")`,
          ),
          ready: { port: idlePort },
        },
        {
          name: "silent",
          ...node("setInterval(() => {}, 1000)"),
          ready: { port },
          readyTimeoutMs: 300,
        },
      ]),
    );
    expect(error.code).toBe(Code.DEADLINE_EXCEEDED);
    expect(error.message).toMatch(/process silent was not ready within 300 ms/);
    expect(isGone(Number(readFileSync(pidFile, "utf8")))).toBe(true);
  });

  it("stops a whole tree, and SIGKILLs what ignores SIGTERM after the grace", async () => {
    const group = await start([
      {
        name: "wrapper",
        command: "sh",
        args: ["-c", `${process.execPath} -e "setInterval(() => {}, 1000)" & wait`],
      },
      {
        name: "stubborn",
        ...node(`process.on("SIGTERM", () => {}); setInterval(() => {}, 1000); console.log("on")`),
        stopGraceMs: 200,
      },
    ]);
    // Wait for the wrapper's child to appear.
    let tree = processTree(group.get("wrapper").pid);
    for (let i = 0; i < 100 && tree.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 20));
      tree = processTree(group.get("wrapper").pid);
    }
    expect(tree.length).toBe(2);
    // It prints "on" once its SIGTERM handler is installed.
    const stubborn = group.get("stubborn");
    for (let i = 0; i < 200 && !stubborn.logTail().includes("on"); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await group.stop();
    expect(tree.every((p) => isGone(p.pid))).toBe(true);
    expect(group.get("stubborn").exitStatus()).toBe("signal SIGKILL");
  });

  it("rejects duplicate names", async () => {
    const spec = { name: "same", ...node("") };
    expect((await rejection(start([spec, spec]))).code).toBe(Code.INVALID_ARGUMENT);
  });
});

describe("createProcessMonitor", () => {
  it("measures the CPU and peak resident memory of a busy process over a phase", async () => {
    const group = await start([
      {
        name: "busy",
        // 64 MB touched, then spin: both must show up in the measurement.
        ...node(`const b = Buffer.alloc(64 * 2 ** 20, 1); console.log("ready"); for (;;) {}`),
      },
    ]);
    try {
      const busy = group.get("busy");
      for (let i = 0; i < 100 && !busy.logTail().includes("ready"); i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const phase = createProcessMonitor({ sampleIntervalMs: 50 }).begin([busy]);
      await new Promise((r) => setTimeout(r, 300));
      const [usage] = phase.end();
      expect(usage!.name).toBe("busy");
      expect(usage!.wallSeconds).toBeGreaterThan(0.25);
      expect(usage!.cpuSeconds).toBeGreaterThan(0);
      expect(usage!.peakRssKb).toBeGreaterThan(64 * 1024);
    } finally {
      await group.stop();
    }
  });

  it("reports zero for a process that is gone", () => {
    const [usage] = createProcessMonitor()
      .begin([{ name: "gone", pid: 2 ** 22 + 1 }])
      .end();
    expect(usage).toMatchObject({ name: "gone", cpuSeconds: 0, peakRssKb: 0 });
  });
});

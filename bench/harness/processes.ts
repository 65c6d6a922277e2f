/**
 * Starting the processes a scenario measures: each in its own process group (so a
 * wrapper's children are stopped with it), output to a log file, ready when a URL answers
 * 200 or a TCP port accepts, with the time from spawn to ready kept as its cold start.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Code, ServiceError } from "@shop/libs/errors";
import { liveGroupMembers } from "./proc-stats";

/** How to tell that a process serves: an HTTP URL answering 200, or a TCP port accepting. */
export type Readiness = { url: string } | { port: number; host?: string };

export interface ProcessSpec {
  /** Unique within a scenario; names its log file and its entry in the results. */
  name: string;
  command: string;
  args?: readonly string[];
  /** Added to the harness's environment. */
  env?: Readonly<Record<string, string>>;
  cwd?: string;
  /** Absent: ready as soon as it is spawned. */
  ready?: Readiness;
  /** Default 30 s. */
  readyTimeoutMs?: number;
  /** Time between SIGTERM and SIGKILL when stopping. Default 5 s. */
  stopGraceMs?: number;
}

export interface RunningProcess {
  readonly name: string;
  readonly pid: number;
  /** Spawn to ready, in ms: the cold start. */
  readonly startupMs: number;
  readonly logPath: string;
  /** Exit code or signal once it has exited; undefined while it runs. */
  exitStatus(): string | undefined;
  /** The last lines of its output, for error messages. */
  logTail(lines?: number): string;
}

export interface ProcessGroup {
  readonly processes: readonly RunningProcess[];
  readonly logDir: string;
  get(name: string): RunningProcess;
  /** Throws UNAVAILABLE naming the first process that has exited, with its log tail. */
  assertRunning(): void;
  /** SIGTERM to every process group (last started first), SIGKILL after the grace. */
  stop(): Promise<void>;
}

/** `node --import tsx <script>`: TypeScript without the tsx CLI's extra wrapper process. */
export function tsxCommand(script: string, args: readonly string[] = []) {
  const loader = pathToFileURL(require.resolve("tsx")).href;
  // BENCH_CPU_PROF=<dir>: every process writes a V8 CPU profile there when it exits
  // (open it in Chrome DevTools or speedscope).
  const profile = process.env.BENCH_CPU_PROF
    ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
    : [];
  return { command: process.execPath, args: [...profile, "--import", loader, script, ...args] };
}

/** A TCP port free on 127.0.0.1 right now (another process may take it before use). */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(address),
      );
    });
  });
}

function probe(ready: Readiness): Promise<boolean> {
  return new Promise((resolve) => {
    if ("url" in ready) {
      const req = request(ready.url, { timeout: 1000 }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on("timeout", () => req.destroy());
      req.on("error", () => resolve(false));
      req.end();
      return;
    }
    const socket = connect(ready.port, ready.host ?? "127.0.0.1");
    socket.setTimeout(1000, () => socket.destroy());
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.once("close", () => resolve(false));
  });
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    // Negative pid: the whole process group the child leads (spawned detached).
    process.kill(-child.pid!, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

interface Started extends RunningProcess {
  child: ChildProcess;
  exited: Promise<void>;
  spec: ProcessSpec;
}

async function startOne(spec: ProcessSpec, logDir: string, baseEnv: NodeJS.ProcessEnv) {
  const logPath = join(logDir, `${spec.name}.log`);
  const fd = openSync(logPath, "a");
  const spawnedAt = performance.now();
  const child = spawn(spec.command, spec.args ?? [], {
    cwd: spec.cwd,
    env: { ...baseEnv, ...spec.env },
    stdio: ["ignore", fd, fd],
    detached: true,
  });
  closeSync(fd);
  let status: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      status = signal ? `signal ${signal}` : `exit code ${code}`;
      resolve();
    });
    child.once("error", (error) => {
      status = `spawn error: ${error.message}`;
      resolve();
    });
  });
  const logTail = (lines = 20) => {
    try {
      return readFileSync(logPath, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "";
    }
  };
  const failure = (what: string, code: Code) => {
    signalGroup(child, "SIGKILL");
    return new ServiceError(code, `process ${spec.name} ${what} (log ${logPath}):\n${logTail()}`);
  };

  const deadline = spawnedAt + (spec.readyTimeoutMs ?? 30_000);
  while (spec.ready) {
    if (status) throw failure(`ended before it was ready: ${status}`, Code.UNAVAILABLE);
    if (await probe(spec.ready)) break;
    if (performance.now() > deadline) {
      throw failure(
        `was not ready within ${spec.readyTimeoutMs ?? 30_000} ms`,
        Code.DEADLINE_EXCEEDED,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (status) throw failure(`ended at start: ${status}`, Code.UNAVAILABLE);
  const started: Started = {
    name: spec.name,
    pid: child.pid!,
    startupMs: performance.now() - spawnedAt,
    logPath,
    exitStatus: () => status,
    logTail,
    child,
    exited,
    spec,
  };
  return started;
}

async function stopOne(started: Started): Promise<void> {
  if (started.exitStatus() === undefined) {
    signalGroup(started.child, "SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, started.spec.stopGraceMs ?? 5000);
    });
    await Promise.race([started.exited, grace]);
    clearTimeout(timer);
  }
  // Also kills children the leader left behind.
  signalGroup(started.child, "SIGKILL");
  await started.exited;
  // A SIGKILLed grandchild dies when the kernel next schedules it, which on a loaded machine
  // is after the leader's exit event: wait for it, so the caller's ports and CPU are free.
  for (let i = 0; i < 200 && liveGroupMembers(started.pid).length > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export interface StartProcessesOptions {
  /** Where the logs go; default a new temp folder. */
  logDir?: string;
  /** The environment every process inherits; default this process's. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts the processes one after another, each ready before the next starts (later
 * ones may depend on earlier ones). On any failure the started ones are stopped.
 */
export async function startProcesses(
  specs: readonly ProcessSpec[],
  options: StartProcessesOptions = {},
): Promise<ProcessGroup> {
  const names = specs.map((s) => s.name);
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate)
    throw new ServiceError(Code.INVALID_ARGUMENT, `duplicate process name ${duplicate}`);
  const logDir = options.logDir ?? mkdtempSync(join(tmpdir(), "bench-"));
  const started: Started[] = [];

  // If the harness dies, its detached children would outlive it: kill them on the way out.
  const killAll = () => {
    for (const s of started) signalGroup(s.child, "SIGKILL");
  };
  const onSignal = (signal: NodeJS.Signals) => {
    killAll();
    removeGuards();
    process.kill(process.pid, signal);
  };
  const removeGuards = () => {
    process.off("exit", killAll);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };
  process.on("exit", killAll);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const stop = async () => {
    for (const s of [...started].reverse()) await stopOne(s);
    removeGuards();
  };

  try {
    for (const spec of specs)
      started.push(await startOne(spec, logDir, options.env ?? process.env));
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    processes: started,
    logDir,
    get(name) {
      const found = started.find((s) => s.name === name);
      if (!found) throw new ServiceError(Code.NOT_FOUND, `no process named ${name}`);
      return found;
    },
    assertRunning() {
      const gone = started.find((s) => s.exitStatus() !== undefined);
      if (gone) {
        throw new ServiceError(
          Code.UNAVAILABLE,
          `process ${gone.name} ended during the run: ${gone.exitStatus()} (log ${gone.logPath}):\n${gone.logTail()}`,
        );
      }
    },
    stop,
  };
}

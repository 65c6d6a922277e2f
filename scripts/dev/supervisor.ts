/**
 * Runs the mesh's processes for `npm run dev`, the end-to-end tests and the cold-start
 * benchmark: output prefixed by service (pretty on a terminal, JSON lines otherwise, and
 * all of it appended to a log file when one is given), a crash reported loudly and
 * restarted with a capped backoff, and every process stopped with one SIGTERM.
 *
 * Each child runs in its own process group, so a Ctrl-C in the terminal reaches only
 * this supervisor, which then sends exactly one SIGTERM per child: a service receiving
 * the terminal's SIGINT as well would take it for "signal again" and exit at once,
 * without finishing its graceful shutdown.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { dirname } from "node:path";
import { createInterface } from "node:readline";
import { formatLogLine, formatSupervisorEvent, jsonLogLine } from "./pretty-log";
import { waitForReady } from "./reachability";

export interface ProcessDefinition {
  name: string;
  command: string;
  args: readonly string[];
  env: NodeJS.ProcessEnv;
  /** When set, a restarted process is reported again once this URL answers 200. */
  readyUrl?: string;
}

export interface SupervisorOptions {
  /** Format JSON log lines for a person (a TTY) or pass them through (pipes, CI). */
  pretty: boolean;
  /** Restart a process that exits on its own; off with `--no-restart`. */
  restart: boolean;
  write: (line: string) => void;
  /** Every line of every process, as JSON, is also appended here (`npm run trace` reads it). */
  logFile?: string;
  /** Time between SIGTERM and SIGKILL on stop. */
  stopGraceMs?: number;
}

export interface Supervisor {
  start(definition: ProcessDefinition): void;
  /**
   * Sends `signal` to one process and waits for it to exit; it is not restarted (fault
   * tests kill a service, then start it again with start()).
   */
  kill(name: string, signal?: NodeJS.Signals): Promise<void>;
  /** Resolves when a process exits on its own and will not be restarted. */
  readonly failed: Promise<string>;
  stop(): Promise<void>;
}

/** Delay before the 1st, 2nd, ... consecutive restart of a process that keeps crashing. */
export const BACKOFF_MS = [500, 1_000, 2_000, 5_000, 10_000, 30_000] as const;
/** runMain's exit code for a bad environment (sysexits' EX_CONFIG). */
const EXIT_CONFIG = 78;
/** A process that ran this long before crashing starts its backoff from the beginning. */
const STABLE_AFTER_MS = 60_000;

/** The delay before restart number `restart` (1-based) of a crash loop. */
export function restartDelayMs(restart: number): number {
  return BACKOFF_MS[Math.min(Math.max(restart, 1), BACKOFF_MS.length) - 1]!;
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    // Negative pid: the child's whole process group (it was spawned detached).
    process.kill(-child.pid!, signal);
  } catch {
    // ESRCH: already gone.
  }
}

export function createSupervisor(options: SupervisorOptions): Supervisor {
  const running = new Map<string, ChildProcess>();
  const killed = new Set<string>();
  let stopping = false;
  let fail: (name: string) => void = () => {};
  const failed = new Promise<string>((resolve) => {
    fail = resolve;
  });
  let logFile: WriteStream | undefined;
  if (options.logFile) {
    mkdirSync(dirname(options.logFile), { recursive: true });
    logFile = createWriteStream(options.logFile, { flags: "a" });
  }

  const emit = (name: string, line: string, stream: "stdout" | "stderr") => {
    const json = jsonLogLine(name, line, stream);
    logFile?.write(`${json}\n`);
    options.write(options.pretty ? formatLogLine(name, line) : json);
  };
  const report = (level: "info" | "error", message: string, fields: Record<string, unknown>) => {
    const json = JSON.stringify({
      timestamp: new Date().toISOString(),
      service: "dev",
      level,
      message,
      ...fields,
    });
    logFile?.write(`${json}\n`);
    options.write(options.pretty ? formatSupervisorEvent(level, message) : json);
  };

  // If this process dies without stop(), its detached children would outlive it.
  const killAll = () => {
    for (const child of running.values()) signalGroup(child, "SIGKILL");
  };
  process.on("exit", killAll);

  const launch = (definition: ProcessDefinition, restarts: number) => {
    const startedAt = Date.now();
    const child = spawn(definition.command, [...definition.args], {
      env: definition.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    running.set(definition.name, child);
    createInterface({ input: child.stdout! }).on("line", (l) => emit(definition.name, l, "stdout"));
    createInterface({ input: child.stderr! }).on("line", (l) => emit(definition.name, l, "stderr"));
    if (restarts > 0 && definition.readyUrl) {
      waitForReady(definition.readyUrl, 60_000).then(
        () =>
          !stopping &&
          running.get(definition.name) === child &&
          report("info", `${definition.name} is ready again`, { process: definition.name }),
        () => undefined,
      );
    }
    child.once("error", (error) => {
      report("error", `${definition.name} could not start: ${error.message}`, {
        process: definition.name,
      });
    });
    child.once("exit", (code, signal) => {
      if (running.get(definition.name) === child) running.delete(definition.name);
      if (stopping || killed.delete(definition.name)) return;
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const fields = { process: definition.name, exitCode: code, signal };
      if (!options.restart) {
        report("error", `${definition.name} ${how}; not restarting (--no-restart)`, fields);
        fail(definition.name);
        return;
      }
      if (code === EXIT_CONFIG) {
        // Its environment is wrong (the message above names the variable): every
        // restart would fail the same way.
        report("error", `${definition.name} ${how} (configuration error); not restarting`, fields);
        fail(definition.name);
        return;
      }
      const next = Date.now() - startedAt > STABLE_AFTER_MS ? 1 : restarts + 1;
      const delay = restartDelayMs(next);
      report("error", `${definition.name} ${how}; restarting in ${delay} ms (restart ${next})`, {
        ...fields,
        restart: next,
        restartInMs: delay,
      });
      setTimeout(() => {
        if (!stopping && !running.has(definition.name)) launch(definition, next);
      }, delay).unref();
    });
  };

  return {
    start: (definition) => launch(definition, 0),
    kill(name, signal = "SIGKILL") {
      const child = running.get(name);
      if (!child || child.exitCode !== null || child.signalCode !== null) {
        return Promise.resolve();
      }
      killed.add(name);
      return new Promise<void>((resolve) => {
        // "close": after its last output lines were read, not just after it ended.
        child.once("close", () => resolve());
        signalGroup(child, signal);
      });
    },
    failed,
    async stop() {
      stopping = true;
      const grace = options.stopGraceMs ?? 10_000;
      await Promise.all(
        [...running.values()].map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              const timer = setTimeout(() => signalGroup(child, "SIGKILL"), grace);
              child.once("close", () => {
                clearTimeout(timer);
                resolve();
              });
              signalGroup(child, "SIGTERM");
            }),
        ),
      );
      process.off("exit", killAll);
      if (logFile) {
        const file = logFile;
        logFile = undefined;
        await new Promise<void>((resolve) => file.end(() => resolve()));
      }
    },
  };
}

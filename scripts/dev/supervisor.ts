/**
 * Runs the mesh's processes for `npm run dev`: output prefixed by service (pretty on a
 * terminal, the JSON lines untouched otherwise), a crash reported loudly and restarted
 * with a capped backoff, and every process stopped on Ctrl-C.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { formatLogLine } from "./pretty-log";

export interface ProcessDefinition {
  name: string;
  command: string;
  args: readonly string[];
  env: NodeJS.ProcessEnv;
}

export interface SupervisorOptions {
  /** Format JSON log lines for a person (a TTY) or pass them through (pipes, CI). */
  pretty: boolean;
  /** Restart a process that exits on its own; off with `--no-restart`. */
  restart: boolean;
  write: (line: string) => void;
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

const BACKOFF_MS = [500, 1_000, 2_000, 5_000, 10_000, 30_000];
/** A process that ran this long before crashing starts its backoff from the beginning. */
const STABLE_AFTER_MS = 60_000;

export function createSupervisor(options: SupervisorOptions): Supervisor {
  const running = new Map<string, ChildProcess>();
  const killed = new Set<string>();
  let stopping = false;
  let fail: (name: string) => void = () => {};
  const failed = new Promise<string>((resolve) => {
    fail = resolve;
  });

  const pipe = (name: string, stream: NodeJS.ReadableStream | null) => {
    if (!stream) return;
    createInterface({ input: stream }).on("line", (line) => {
      options.write(options.pretty ? formatLogLine(name, line) : line);
    });
  };

  const launch = (definition: ProcessDefinition, attempt: number) => {
    const startedAt = Date.now();
    const child = spawn(definition.command, [...definition.args], {
      env: definition.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    running.set(definition.name, child);
    pipe(definition.name, child.stdout);
    pipe(definition.name, child.stderr);
    child.on("exit", (code, signal) => {
      running.delete(definition.name);
      if (stopping || killed.delete(definition.name)) return;
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const next = Date.now() - startedAt > STABLE_AFTER_MS ? 0 : attempt + 1;
      if (!options.restart) {
        options.write(`\n!! ${definition.name} ${how}; not restarting (--no-restart)\n`);
        fail(definition.name);
        return;
      }
      const delay = BACKOFF_MS[Math.min(next, BACKOFF_MS.length - 1)]!;
      options.write(
        `\n!! ${definition.name} ${how}; restarting in ${delay} ms (restart ${next + 1})\n`,
      );
      setTimeout(() => {
        if (!stopping) launch(definition, next);
      }, delay).unref();
    });
  };

  return {
    start: (definition) => launch(definition, 0),
    kill(name, signal = "SIGKILL") {
      const child = running.get(name);
      if (!child) return Promise.resolve();
      killed.add(name);
      return new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill(signal);
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
              const timer = setTimeout(() => child.kill("SIGKILL"), grace);
              child.once("exit", () => {
                clearTimeout(timer);
                resolve();
              });
              child.kill("SIGTERM");
            }),
        ),
      );
    },
  };
}

/**
 * The load generator runs in its own Node process, so it never shares an event loop (or
 * a garbage collector) with anything measured. The harness forks one worker per protocol
 * and keeps it for the whole scenario (no spawn cost between interleaved rounds); they
 * talk over the IPC channel: `{ id, spec }` in, `{ id, result }` or `{ id, error }` out.
 */
import { fork } from "node:child_process";
import { Code, ServiceError } from "@shop/libs/errors";
import { tsxCommand } from "./processes";

export interface LoadWorker<Spec, Result> {
  /** "load-http" or "load-grpc": its name among the measured processes. */
  readonly name: string;
  readonly pid: number;
  /** Settles once the worker has loaded and listens for specs. */
  readonly ready: Promise<void>;
  /** Runs one load phase in the worker; rejects if the worker fails or dies. */
  run(spec: Spec): Promise<Result>;
  /** Ends the worker (IPC disconnect, SIGKILL after 2 s). */
  close(): Promise<void>;
}

type Reply = { ready: true } | { id: number; result: unknown } | { id: number; error: string };

/** Forks `script` (TypeScript, through tsx's loader) as a load worker. */
export function startLoadWorker<Spec, Result>(
  name: string,
  script: string,
): LoadWorker<Spec, Result> {
  const { command, args } = tsxCommand(script);
  const child = fork(args.at(-1)!, [], {
    execPath: command,
    execArgv: args.slice(0, -1),
    stdio: ["ignore", "ignore", "pipe", "ipc"],
  });
  let stderr = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });

  const pending = new Map<number, { resolve(r: Result): void; reject(e: Error): void }>();
  let nextId = 1;
  let exitStatus: string | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exitStatus = signal ? `signal ${signal}` : `exit code ${code}`;
      const error = new ServiceError(
        Code.UNAVAILABLE,
        `load worker ${name} ended (${exitStatus}):\n${stderr.trim()}`,
      );
      for (const p of pending.values()) p.reject(error);
      pending.clear();
      resolve();
    }),
  );
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    exited.then(() => reject(new ServiceError(Code.UNAVAILABLE, `load worker ${name} ended`)));
  });
  // Not awaited by everyone: a worker that dies later must not be an unhandled rejection.
  ready.catch(() => {});
  child.on("message", (message: Reply) => {
    if ("ready" in message) {
      markReady();
      return;
    }
    const p = pending.get(message.id);
    if (!p) return;
    pending.delete(message.id);
    if ("error" in message) p.reject(new ServiceError(Code.INTERNAL, `${name}: ${message.error}`));
    else p.resolve(message.result as Result);
  });

  return {
    name,
    pid: child.pid!,
    ready,
    run(spec) {
      if (exitStatus) {
        return Promise.reject(new ServiceError(Code.UNAVAILABLE, `load worker ${name} ended`));
      }
      const id = nextId++;
      return new Promise<Result>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ id, spec });
      });
    },
    async close() {
      if (exitStatus) return;
      child.disconnect();
      const timer = setTimeout(() => child.kill("SIGKILL"), 2000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The worker side: answers each spec with `handle(spec)`, exits when the harness leaves. */
export function serveLoadRequests<Spec, Result>(handle: (spec: Spec) => Promise<Result>): void {
  process.on("message", (message: { id: number; spec: Spec }) => {
    handle(message.spec).then(
      (result) => process.send!({ id: message.id, result }),
      (error: unknown) =>
        process.send!({
          id: message.id,
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        }),
    );
  });
  process.on("disconnect", () => process.exit(0));
  process.send!({ ready: true });
}

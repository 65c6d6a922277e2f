/**
 * Starts the load generator as its own process and reads back what it saw. The
 * config (with the users' tokens) goes through a 0600 temp file, never the command
 * line, where `ps` would show it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Attempt, LoadConfig } from "./load-generator";

const ROOT = join(__dirname, "..", "..", "..");
const TSX = join(ROOT, "node_modules", ".bin", "tsx");

export interface LoadRun {
  /** The attempts written so far. */
  attempts(): Attempt[];
  /** Resolves once `count` orders were acknowledged (or the run ended first). */
  untilAcknowledged(count: number): Promise<void>;
  /** Waits for the process to end by itself; resolves with every attempt. */
  finished(): Promise<Attempt[]>;
  /** Ends the process early (cleanup after a failed test). */
  abort(): void;
}

export function startLoad(config: Omit<LoadConfig, "out">): LoadRun {
  const dir = mkdtempSync(join(tmpdir(), "reliability-load-"));
  const out = join(dir, "attempts.jsonl");
  const file = join(dir, "config.json");
  writeFileSync(file, JSON.stringify({ ...config, out }), { mode: 0o600 });
  const stderr: string[] = [];
  const child: ChildProcess = spawn(TSX, [join(__dirname, "load-generator.ts"), file], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk.toString()));
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  let ended = false;
  void exited.then(() => {
    ended = true;
  });

  const read = (): Attempt[] =>
    existsSync(out)
      ? readFileSync(out, "utf8")
          .split("\n")
          .filter((line) => line !== "")
          .map((line) => JSON.parse(line) as Attempt)
      : [];

  return {
    attempts: read,
    async untilAcknowledged(count) {
      const limit = Date.now() + config.timeBudgetMs;
      while (!ended && Date.now() < limit) {
        if (read().filter((a) => a.kind === "order" && a.status === 200).length >= count) return;
        await sleep(100);
      }
    },
    async finished() {
      const [code] = await exited;
      const attempts = read();
      rmSync(dir, { recursive: true, force: true });
      if (code !== 0) throw new Error(`the load generator exited with ${code}: ${stderr.join("")}`);
      return attempts;
    },
    abort() {
      if (!ended) child.kill("SIGKILL");
    },
  };
}

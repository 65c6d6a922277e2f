/**
 * Runs a scenario: start its processes, warm up, then at each concurrency drive every
 * variant (interleaved in short rounds), measuring each process meanwhile, and write
 * bench/results/<scenario>.json.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Env } from "@shop/libs/config";
import { type GrpcLoadWorker, startGrpcLoadWorker } from "./load-grpc";
import { type HttpLoadWorker, startHttpLoadWorker } from "./load-http";
import { type PgLoadWorker, startPgLoadWorker } from "./load-pg";
import type { LoadRunResult } from "./load-result";
import { describeGitRevision, describeMachine } from "./machine-info";
import { createProcessMonitor, type ProcessUsage } from "./process-monitor";
import { findFreePort, startProcesses } from "./processes";
import {
  RESULTS_SCHEMA_VERSION,
  type ScenarioResult,
  type VariantResult,
  writeResults,
} from "./results";
import { compareVariants, type RoundRecord, summariseRun } from "./run-summary";
import {
  resolveSettings,
  type ScenarioContext,
  type ScenarioDefinition,
  type VariantDefinition,
} from "./scenario-definition";

const REPO_ROOT = resolve(__dirname, "..", "..");

/** Where results go unless BENCH_RESULTS_DIR or `resultsDir` says otherwise. */
export const DEFAULT_RESULTS_DIR = join(REPO_ROOT, "bench", "results");

export interface RunScenarioOptions {
  /** Overrides BENCH_RESULTS_DIR and the default bench/results. */
  resultsDir?: string;
  /** BENCH_* overrides are read here, and the processes inherit it. Default process.env. */
  env?: Env;
  /** Where process logs go; default a temp folder, removed when the run succeeds. */
  logDir?: string;
  /** Progress lines; default stderr. */
  log?: (line: string) => void;
}

/** Runs `definition` and returns (and writes) its results. */
export async function runScenario<P extends string, S>(
  definition: ScenarioDefinition<P, S>,
  options: RunScenarioOptions = {},
): Promise<ScenarioResult> {
  const vars = options.env ?? process.env;
  const settings = resolveSettings(definition as ScenarioDefinition, vars);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const startedAt = new Date().toISOString();
  const git = describeGitRevision(REPO_ROOT);
  const machine = describeMachine();

  const ports = {} as Record<P, number>;
  for (const name of definition.ports ?? []) {
    let port = await findFreePort();
    while (Object.values<number>(ports).includes(port)) port = await findFreePort();
    ports[name] = port;
  }
  const specs =
    typeof definition.processes === "function"
      ? definition.processes({ ports })
      : definition.processes;
  log(`[${definition.name}] starting ${specs.map((s) => s.name).join(", ") || "no processes"}`);
  const logDir = options.logDir ?? mkdtempSync(join(tmpdir(), `bench-${definition.name}-`));
  const group = await startProcesses(specs, { logDir, env: { ...vars } });
  const workers: { http?: HttpLoadWorker; grpc?: GrpcLoadWorker; pg?: PgLoadWorker } = {};
  let succeeded = false;
  try {
    for (const p of group.processes)
      log(`[${definition.name}] ${p.name} ready in ${Math.round(p.startupMs)} ms`);
    const base: ScenarioContext<P, undefined> = { ports, processes: group, setup: undefined };
    const ctx: ScenarioContext<P, S> = {
      ...base,
      setup: definition.setup ? await definition.setup(base) : (undefined as S),
    };
    const monitor = createProcessMonitor();

    const drive = async (
      variant: VariantDefinition<P, S>,
      concurrency: number,
      durationMs: number,
    ): Promise<RoundRecord> => {
      const target = variant.load(concurrency, ctx);
      let run: () => Promise<LoadRunResult>;
      if (target.protocol === "http") {
        workers.http ??= startHttpLoadWorker();
        const worker = workers.http;
        run = () => worker.run({ ...target, connections: concurrency, durationMs });
      } else if (target.protocol === "grpc") {
        workers.grpc ??= startGrpcLoadWorker();
        const worker = workers.grpc;
        run = () => worker.run({ ...target, concurrency, durationMs });
      } else {
        workers.pg ??= startPgLoadWorker();
        const worker = workers.pg;
        run = () => worker.run({ ...target, concurrency, durationMs });
      }
      const started = [workers.http, workers.grpc, workers.pg].filter((w) => w !== undefined);
      // A worker's own start-up must not count as load-generator CPU.
      await Promise.all(started.map((w) => w.ready));
      const phase = monitor.begin([...group.processes, ...started]);
      let load: LoadRunResult;
      let usage: ProcessUsage[];
      try {
        load = await run();
      } finally {
        usage = phase.end();
      }
      group.assertRunning();
      return { load, usage };
    };

    if (settings.warmupMs > 0) {
      for (const variant of definition.variants) {
        log(`[${definition.name}] warm-up ${variant.name} at ${settings.warmupConcurrency}`);
        await drive(variant, settings.warmupConcurrency, settings.warmupMs);
      }
    }

    const startupMs = new Map<string, number | null>(
      group.processes.map((p) => [p.name, Math.round(p.startupMs)]),
    );
    const variants: VariantResult[] = definition.variants.map((v) => ({
      name: v.name,
      protocol: v.load(settings.concurrencies[0]!, ctx).protocol,
      runs: [],
    }));
    const roundMs = settings.durationMs / settings.rounds;
    for (const concurrency of settings.concurrencies) {
      const records = definition.variants.map((): RoundRecord[] => []);
      for (let round = 0; round < settings.rounds; round++) {
        // Rotating the order (A B, B A, ...) keeps either from always following the other.
        for (let k = 0; k < definition.variants.length; k++) {
          const index = (k + round) % definition.variants.length;
          records[index]!.push(await drive(definition.variants[index]!, concurrency, roundMs));
        }
      }
      records.forEach((rounds, i) => {
        const run = summariseRun(concurrency, rounds, startupMs);
        variants[i]!.runs.push(run);
        log(
          `[${definition.name}] ${variants[i]!.name} c=${concurrency}: ${run.rps} req/s, ` +
            `p99 ${run.latencyMs.p99} ms, ${run.errors.total} errors`,
        );
      });
    }

    const result: ScenarioResult = {
      schemaVersion: RESULTS_SCHEMA_VERSION,
      scenario: definition.name,
      description: definition.description,
      startedAt,
      finishedAt: new Date().toISOString(),
      git,
      machine,
      settings: {
        durationMs: settings.durationMs,
        warmupMs: settings.warmupMs,
        roundMs: settings.rounds > 1 ? Math.round(roundMs) : settings.durationMs,
        concurrencies: settings.concurrencies,
        interleave: settings.interleave,
        baseline: settings.baseline,
        notes: [...(definition.notes ?? [])],
      },
      processes: group.processes.map((p) => ({ name: p.name, startupMs: Math.round(p.startupMs) })),
      variants,
      comparisons: settings.baseline ? compareVariants(variants, settings.baseline) : [],
    };
    const path = writeResults(
      result,
      options.resultsDir ?? settings.resultsDir ?? DEFAULT_RESULTS_DIR,
    );
    log(`[${definition.name}] wrote ${path}`);
    succeeded = true;
    return result;
  } finally {
    await Promise.all([workers.http?.close(), workers.grpc?.close(), workers.pg?.close()]);
    await group.stop();
    // Kept after a failure: the error names the log files.
    if (succeeded && !options.logDir) rmSync(logDir, { recursive: true, force: true });
  }
}

/**
 * What a scenario file declares, and the settings a run actually uses once the
 * BENCH_* environment overrides are applied.
 */
import { type Env, env, parseEnv } from "@shop/libs/config";
import { ServiceError } from "@shop/libs/errors";
import { z } from "zod";
import type { GrpcLoadSpec } from "./load-grpc";
import type { HttpLoadSpec } from "./load-http";
import type { PgLoadSpec } from "./load-pg";
import type { ProcessGroup, ProcessSpec } from "./processes";

/** A variant's load; the runner adds the concurrency and duration of each phase. */
export type LoadTarget =
  | Omit<HttpLoadSpec, "connections" | "durationMs">
  | Omit<GrpcLoadSpec, "concurrency" | "durationMs">
  | Omit<PgLoadSpec, "concurrency" | "durationMs">;

export interface ScenarioContext<P extends string = string, S = unknown> {
  /** The free ports picked for the names in `ports`. */
  ports: Readonly<Record<P, number>>;
  processes: ProcessGroup;
  /** What `setup` returned. */
  setup: S;
}

export interface VariantDefinition<P extends string = string, S = unknown> {
  name: string;
  /** The load to drive at `concurrency` (called for each phase, warm-up included). */
  load(concurrency: number, ctx: ScenarioContext<P, S>): LoadTarget;
}

export interface ScenarioDefinition<P extends string = string, S = unknown> {
  /** kebab-case; names bench/results/<name>.json. */
  name: string;
  description: string;
  /** Names of ports to pick free before anything starts (e.g. ["http", "grpc"]). */
  ports?: readonly P[];
  /** Started in order, each ready before the next; a function when they need the ports. */
  processes:
    | readonly ProcessSpec[]
    | ((ctx: { ports: Readonly<Record<P, number>> }) => readonly ProcessSpec[]);
  /** Runs once everything is ready, before warm-up (seed data, sign in, ...). */
  setup?(ctx: ScenarioContext<P, undefined>): Promise<S>;
  /** Per variant, at warmupConcurrency, before anything is measured. */
  warmupMs: number;
  /** Measured time per variant per concurrency (split into rounds when interleaved). */
  durationMs: number;
  concurrencies: readonly number[];
  variants: readonly VariantDefinition<P, S>[];
  /** Alternate variants in short rounds so a noisy neighbour hits all alike. Default true. */
  interleave?: boolean;
  /** Length of one interleaved round. Default 2000. */
  roundMs?: number;
  /** Default 8, or the highest concurrency if lower. */
  warmupConcurrency?: number;
  /** The variant others are compared with. Default the first, when there are several. */
  baseline?: string;
  /** Recorded with the results: anything a reader must know (e.g. raised rate limits). */
  notes?: readonly string[];
}

/** Identity, for type inference of the port names and the setup value. */
export function defineScenario<const P extends string = never, S = undefined>(
  definition: ScenarioDefinition<P, S>,
): ScenarioDefinition<P, S> {
  return definition;
}

/** The settings a run uses. */
export interface RunSettings {
  durationMs: number;
  warmupMs: number;
  roundMs: number;
  rounds: number;
  concurrencies: number[];
  interleave: boolean;
  warmupConcurrency: number;
  baseline: string | null;
  resultsDir: string | undefined;
}

const overridesShape = {
  BENCH_DURATION_MS: env.int(1, 3_600_000).optional(),
  BENCH_WARMUP_MS: env.int(0, 3_600_000).optional(),
  BENCH_ROUND_MS: env.int(1, 3_600_000).optional(),
  BENCH_CONCURRENCIES: z
    .string()
    .regex(/^\s*[1-9]\d*\s*(,\s*[1-9]\d*\s*)*$/, "expected positive integers such as 1,8,64")
    .transform((text) => text.split(",").map(Number))
    .optional(),
  BENCH_RESULTS_DIR: z.string().optional(),
};

/** Validates the definition and applies BENCH_* overrides from `vars`. */
export function resolveSettings(definition: ScenarioDefinition, vars: Env): RunSettings {
  const bad = (field: string, description: string) =>
    ServiceError.invalidArgument([{ field: `${definition.name}.${field}`, description }]);
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(definition.name)) throw bad("name", "expected kebab-case");
  if (definition.variants.length === 0) throw bad("variants", "expected at least one");
  const names = definition.variants.map((v) => v.name);
  if (new Set(names).size !== names.length) throw bad("variants", "names must be unique");
  const baseline = definition.baseline ?? (names.length > 1 ? names[0]! : null);
  if (baseline !== null && !names.includes(baseline)) {
    throw bad("baseline", `no variant named ${baseline}`);
  }

  const overrides = parseEnv(overridesShape, vars);
  const concurrencies = overrides.BENCH_CONCURRENCIES ?? [...definition.concurrencies];
  if (concurrencies.length === 0 || concurrencies.some((c) => !Number.isInteger(c) || c < 1)) {
    throw bad("concurrencies", "expected positive integers");
  }
  const durationMs = overrides.BENCH_DURATION_MS ?? definition.durationMs;
  const roundMs = overrides.BENCH_ROUND_MS ?? definition.roundMs ?? 2000;
  const interleave = definition.interleave ?? true;
  if (!(durationMs > 0)) throw bad("durationMs", "expected > 0");
  if (!(roundMs > 0)) throw bad("roundMs", "expected > 0");
  return {
    durationMs,
    warmupMs: overrides.BENCH_WARMUP_MS ?? definition.warmupMs,
    roundMs,
    // Without interleaving each variant's run is one uninterrupted phase.
    rounds: interleave && names.length > 1 ? Math.max(1, Math.round(durationMs / roundMs)) : 1,
    concurrencies,
    interleave,
    warmupConcurrency: definition.warmupConcurrency ?? Math.min(8, Math.max(...concurrencies)),
    baseline,
    resultsDir: overrides.BENCH_RESULTS_DIR,
  };
}

/**
 * The results file a scenario writes, `bench/results/<scenario>.json`, and its schema.
 * bench/README.md documents every field; bump RESULTS_SCHEMA_VERSION on any change that
 * an older reader would misread.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Code, ServiceError } from "@shop/libs/errors";
import { z } from "zod";

export const RESULTS_SCHEMA_VERSION = 1;

const count = z.number().int().nonnegative();
const amount = z.number().nonnegative();

export const latencySchema = z.strictObject({
  p50: amount,
  p95: amount,
  p99: amount,
  max: amount,
  mean: amount,
});

export const processUsageSchema = z.strictObject({
  name: z.string().min(1),
  /** CPU time over wall time of the run, for the process and its children (100 = one core). */
  cpuPercent: amount,
  peakRssMb: amount,
  /** Spawn to ready; null for the load generator. */
  startupMs: amount.nullable(),
});

export const runSchema = z.strictObject({
  concurrency: z.number().int().positive(),
  rounds: z.number().int().positive(),
  durationMs: amount,
  requests: count,
  rps: amount,
  rpsByRound: z.array(amount),
  latencyMs: latencySchema,
  responses: z.record(z.string(), count),
  errors: z.strictObject({
    total: count,
    byStatus: z.record(z.string(), count),
    socket: count,
    timeouts: count,
  }),
  processes: z.array(processUsageSchema),
});

export const variantResultSchema = z.strictObject({
  name: z.string().min(1),
  protocol: z.enum(["http", "grpc", "pg"]),
  runs: z.array(runSchema),
});

export const comparisonSchema = z.strictObject({
  variant: z.string(),
  baseline: z.string(),
  concurrency: z.number().int().positive(),
  rpsRatio: amount.nullable(),
  p99Ratio: amount.nullable(),
  /** Lowest and highest req/s ratio of paired rounds: the noise around rpsRatio. */
  rpsRatioRange: z.tuple([amount, amount]).nullable(),
});

export const scenarioResultSchema = z
  .strictObject({
    schemaVersion: z.literal(RESULTS_SCHEMA_VERSION),
    scenario: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, "expected kebab-case"),
    description: z.string(),
    startedAt: z.iso.datetime(),
    finishedAt: z.iso.datetime(),
    git: z.strictObject({ commit: z.string().nullable(), dirty: z.boolean().nullable() }),
    machine: z.strictObject({
      cores: z.number().int().positive(),
      cpuModel: z.string(),
      totalMemoryMb: amount,
      nodeVersion: z.string(),
      platform: z.string(),
      arch: z.string(),
      loadAverage: z.tuple([amount, amount, amount]),
    }),
    settings: z.strictObject({
      durationMs: amount,
      warmupMs: amount,
      roundMs: amount,
      concurrencies: z.array(z.number().int().positive()).min(1),
      interleave: z.boolean(),
      baseline: z.string().nullable(),
      notes: z.array(z.string()),
    }),
    processes: z.array(z.strictObject({ name: z.string(), startupMs: amount })),
    variants: z.array(variantResultSchema).min(1),
    comparisons: z.array(comparisonSchema),
  })
  .superRefine((result, ctx) => {
    result.variants.forEach((variant, v) => {
      variant.runs.forEach((run, r) => {
        if (!result.settings.concurrencies.includes(run.concurrency)) {
          ctx.addIssue({
            code: "custom",
            path: ["variants", v, "runs", r, "concurrency"],
            message: `concurrency ${run.concurrency} is not in settings.concurrencies`,
          });
        }
      });
    });
  });

export type LatencySummary = z.infer<typeof latencySchema>;
export type ProcessUsageSummary = z.infer<typeof processUsageSchema>;
export type RunResult = z.infer<typeof runSchema>;
export type VariantResult = z.infer<typeof variantResultSchema>;
export type Comparison = z.infer<typeof comparisonSchema>;
export type ScenarioResult = z.infer<typeof scenarioResultSchema>;

/** Validates `data` as a results file; INVALID_ARGUMENT naming `source` and each bad field. */
export function parseResults(data: unknown, source: string): ScenarioResult {
  const parsed = scenarioResultSchema.safeParse(data);
  if (parsed.success) return parsed.data;
  const violations = parsed.error.issues.map((issue) => ({
    field: issue.path.join(".") || "(root)",
    description: issue.message,
  }));
  const summary = violations.map((v) => `${v.field}: ${v.description}`).join("; ");
  throw new ServiceError(
    Code.INVALID_ARGUMENT,
    `${source} is not a valid results file: ${summary}`,
    {
      fieldViolations: violations,
    },
  );
}

/** Writes `<dir>/<scenario>.json` (creating dir) after validating; returns the path. */
export function writeResults(result: ScenarioResult, dir: string): string {
  const valid = parseResults(result, `results of ${result.scenario}`);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${valid.scenario}.json`);
  writeFileSync(path, `${JSON.stringify(valid, null, 2)}\n`);
  return path;
}

/** Every `*.json` in dir, validated, sorted by scenario name; [] when dir does not exist. */
export function readResults(dir: string): ScenarioResult[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith(".json"));
  } catch {
    return [];
  }
  return files
    .map((file) => {
      const path = join(dir, file);
      let data: unknown;
      try {
        data = JSON.parse(readFileSync(path, "utf8"));
      } catch (error) {
        throw new ServiceError(Code.INVALID_ARGUMENT, `${path} is not JSON`, { cause: error });
      }
      const result = parseResults(data, path);
      if (file !== `${result.scenario}.json`) {
        throw new ServiceError(
          Code.INVALID_ARGUMENT,
          `${path} holds scenario ${result.scenario}; expected ${result.scenario}.json`,
        );
      }
      return result;
    })
    .sort((a, b) => a.scenario.localeCompare(b.scenario));
}

/**
 * The bench command line (`npm run bench` / `make bench` call it):
 *
 *   tsx bench/harness/cli.ts run [scenario ...]   run bench/scenarios/<name>.ts (all
 *                                                 when none named), then `report`
 *   tsx bench/harness/cli.ts report               rewrite the charts and README table
 *
 * A scenario file's default export is its definition (see defineScenario).
 */
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { Code, ServiceError } from "@shop/libs/errors";
import { writeReport } from "./report";
import { DEFAULT_RESULTS_DIR, runScenario } from "./scenario";
import type { ScenarioDefinition } from "./scenario-definition";

const BENCH_DIR = join(__dirname, "..");
export const SCENARIOS_DIR = join(BENCH_DIR, "scenarios");

/** Scenario names (file names without .ts) in `dir`, sorted; [] when it does not exist. */
export function listScenarios(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".spec.ts") && !f.endsWith(".d.ts"))
      .map((f) => f.slice(0, -".ts".length))
      .sort();
  } catch {
    return [];
  }
}

/** The definition a scenario file exports by default. */
export function loadScenario(dir: string, name: string): ScenarioDefinition {
  const path = join(dir, `${name}.ts`);
  // require, not import(): tsx and jest both load TypeScript through it.
  const loaded: { default?: ScenarioDefinition } = require(path);
  const definition = loaded.default;
  if (!definition || typeof definition.name !== "string" || !Array.isArray(definition.variants)) {
    throw new ServiceError(
      Code.INVALID_ARGUMENT,
      `${path} must export default defineScenario({ name, variants, ... })`,
    );
  }
  return definition;
}

/** bench/README.md when `resultsDir` is the committed results folder, else undefined. */
export function readmeFor(resultsDir: string): string | undefined {
  return resolve(resultsDir) === resolve(DEFAULT_RESULTS_DIR)
    ? join(BENCH_DIR, "README.md")
    : undefined;
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...names] = argv;
  const resultsDir = resolve(process.env.BENCH_RESULTS_DIR || DEFAULT_RESULTS_DIR);
  // bench/README.md describes the committed results only: a run written elsewhere (a
  // smoke test, a scratch re-run) redraws its charts there and leaves the README alone.
  const readmePath = readmeFor(resultsDir);
  if (command === "report") {
    const { charts } = writeReport({ resultsDir, readmePath });
    console.log(
      `wrote ${readmePath ?? "no README (results outside bench/results)"} and ${charts.length} chart(s)`,
    );
    return 0;
  }
  if (command !== "run") {
    console.error("usage: tsx bench/harness/cli.ts run [scenario ...] | report");
    return 2;
  }
  const available = listScenarios(SCENARIOS_DIR);
  const unknown = names.filter((n) => !available.includes(n));
  if (unknown.length > 0) {
    console.error(
      `unknown scenario(s) ${unknown.join(", ")}; known: ${available.join(", ") || "none"}`,
    );
    return 2;
  }
  const chosen = names.length > 0 ? names : available;
  if (chosen.length === 0) console.error(`no scenarios in ${SCENARIOS_DIR}`);
  let failed = 0;
  for (const name of chosen) {
    try {
      await runScenario(loadScenario(SCENARIOS_DIR, name));
    } catch (error) {
      failed += 1;
      console.error(`scenario ${name} failed:`, error);
    }
  }
  writeReport({ resultsDir, readmePath });
  console.log(`${chosen.length - failed} scenario(s) ran, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ServiceError } from "@shop/libs/errors";
import { listScenarios, loadScenario, readmeFor } from "./cli";
import { sampleResult } from "./fixtures/sample-result";
import { parseXmlElements } from "./fixtures/xml-elements";
import { RESULTS_END, RESULTS_START, writeReport } from "./report";
import { writeResults } from "./results";
import { DEFAULT_RESULTS_DIR } from "./scenario";

const tmp = mkdtempSync(join(tmpdir(), "bench-report-spec-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("writeReport", () => {
  it("writes a chart per scenario and replaces only the README's results section", () => {
    const dir = join(tmp, "report");
    const resultsDir = join(dir, "results");
    writeResults(sampleResult(), resultsDir);
    writeResults(sampleResult({ scenario: "another" }), resultsDir);
    const readme = join(dir, "README.md");
    writeFileSync(
      readme,
      `# Bench\n\nbefore\n\n${RESULTS_START}\nold table\n${RESULTS_END}\n\nafter\n`,
    );

    const { charts } = writeReport({ resultsDir, readmePath: readme });
    expect(charts).toEqual([join(resultsDir, "another.svg"), join(resultsDir, "sample.svg")]);
    for (const chart of charts)
      expect(() => parseXmlElements(readFileSync(chart, "utf8"))).not.toThrow();

    const text = readFileSync(readme, "utf8");
    expect(text.startsWith("# Bench\n\nbefore\n\n")).toBe(true);
    expect(text.endsWith(`${RESULTS_END}\n\nafter\n`)).toBe(true);
    expect(text).not.toContain("old table");
    expect(text).toContain("| another | direct | 1 |");
    expect(text).toContain("![sample.svg](results/sample.svg)");

    // Idempotent: a second report leaves the same README.
    writeReport({ resultsDir, readmePath: readme });
    expect(readFileSync(readme, "utf8")).toBe(text);
  });

  it("redraws the charts only when given no README (results outside bench/results)", () => {
    const resultsDir = join(tmp, "elsewhere", "results");
    writeResults(sampleResult(), resultsDir);
    const { charts } = writeReport({ resultsDir });
    expect(charts).toEqual([join(resultsDir, "sample.svg")]);
    expect(readmeFor(resultsDir)).toBeUndefined();
    expect(readmeFor(DEFAULT_RESULTS_DIR)).toBe(join(__dirname, "..", "README.md"));
    expect(readmeFor(join(DEFAULT_RESULTS_DIR, "..", "results"))).toBe(
      join(__dirname, "..", "README.md"),
    );
  });

  it("refuses a README without the results markers", () => {
    const dir = join(tmp, "no-markers");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "README.md"), "# Bench\n");
    let error: unknown;
    try {
      writeReport({ resultsDir: join(dir, "results"), readmePath: join(dir, "README.md") });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).code).toBe(Code.FAILED_PRECONDITION);
  });
});

describe("scenario files", () => {
  it("lists scenario files and loads their default export", () => {
    const dir = join(tmp, "scenarios");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "tiny.ts"),
      `export default { name: "tiny", description: "", processes: [], warmupMs: 0,
         durationMs: 1, concurrencies: [1], variants: [] };\n`,
    );
    writeFileSync(join(dir, "tiny.spec.ts"), "");
    writeFileSync(join(dir, "broken.ts"), "export const nothing = 1;\n");
    expect(listScenarios(dir)).toEqual(["broken", "tiny"]);
    expect(loadScenario(dir, "tiny").name).toBe("tiny");
    expect(() => loadScenario(dir, "broken")).toThrow(/must export default defineScenario/);
    expect(listScenarios(join(tmp, "missing"))).toEqual([]);
  });
});

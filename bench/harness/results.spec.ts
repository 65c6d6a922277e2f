import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ServiceError } from "@shop/libs/errors";
import { sampleResult } from "./fixtures/sample-result";
import { parseXmlElements } from "./fixtures/xml-elements";
import { parseResults, readResults, writeResults } from "./results";
import { renderChartSvg } from "./results-chart";
import { formatNumber, renderMarkdownTable } from "./results-table";

const tmp = mkdtempSync(join(tmpdir(), "bench-results-spec-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function caught(fn: () => unknown): ServiceError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ServiceError) return error;
    throw error;
  }
  throw new Error("expected a ServiceError");
}

describe("results schema", () => {
  it("round-trips a valid result through a file", () => {
    const dir = join(tmp, "valid");
    const path = writeResults(sampleResult(), dir);
    expect(path).toBe(join(dir, "sample.json"));
    expect(readResults(dir)).toEqual([sampleResult()]);
  });

  it.each([
    ["a newer schema version", { schemaVersion: 2 }, "schemaVersion"],
    ["an unknown field", { extra: true }, "(root)"],
    ["a name that is not kebab-case", { scenario: "Sample Run" }, "scenario"],
    ["a bad timestamp", { startedAt: "yesterday" }, "startedAt"],
  ])("rejects %s, naming the field", (_what, change, field) => {
    const error = caught(() => parseResults({ ...sampleResult(), ...change }, "x.json"));
    expect(error.code).toBe(Code.INVALID_ARGUMENT);
    expect(error.message).toMatch(/^x\.json is not a valid results file/);
    expect(error.fieldViolations.map((v) => v.field)).toContain(field);
  });

  it("rejects a run at a concurrency the settings do not list", () => {
    const result = sampleResult();
    result.variants[0]!.runs[1]!.concurrency = 64;
    const error = caught(() => parseResults(result, "x.json"));
    expect(error.fieldViolations).toEqual([
      {
        field: "variants.0.runs.1.concurrency",
        description: "concurrency 64 is not in settings.concurrencies",
      },
    ]);
  });

  it("refuses to write an invalid result", () => {
    const dir = join(tmp, "refused");
    expect(() => writeResults({ ...sampleResult(), variants: [] }, dir)).toThrow(/variants/);
    expect(readResults(dir)).toEqual([]);
  });

  it("validates every file it reads: JSON, schema, and file named after its scenario", () => {
    const dir = join(tmp, "mixed");
    writeResults(sampleResult(), dir);
    writeFileSync(join(dir, "other.json"), JSON.stringify(sampleResult()));
    expect(caught(() => readResults(dir)).message).toMatch(/other\.json holds scenario sample/);
    writeFileSync(join(dir, "other.json"), "{ not json");
    expect(caught(() => readResults(dir)).message).toMatch(/other\.json is not JSON/);
    writeFileSync(join(dir, "other.json"), JSON.stringify({ schemaVersion: 1 }));
    expect(caught(() => readResults(dir)).message).toMatch(/other\.json is not a valid/);
  });
});

describe("renderMarkdownTable", () => {
  it("has a row per variant and concurrency, and a line on where it ran", () => {
    const table = renderMarkdownTable([sampleResult()]);
    const rows = table.split("\n").filter((l) => l.startsWith("| sample |"));
    expect(rows).toEqual([
      "| sample | direct | 1 | 1,000 | 0.5 | 1 | 2 | 4 | 503: 3, socket: 2 | baseline | svc 50, load-http 30 | svc 80, load-http 60 |",
      "| sample | direct | 8 | 4,000 | 1.25 | 2.5 | 5 | 10 | 503: 3, socket: 2 | baseline | svc 50, load-http 30 | svc 80, load-http 60 |",
      "| sample | via <gateway> & co | 1 | 500 | 1 | 2 | 4 | 8 | 503: 3, socket: 2 | 0.5× req/s (0.45–0.55), 2× p99 | svc 50, load-http 30 | svc 80, load-http 60 |",
      "| sample | via <gateway> & co | 8 | 2,000 | 2.5 | 5 | 10 | 20 | 503: 3, socket: 2 |  | svc 50, load-http 30 | svc 80, load-http 60 |",
    ]);
    expect(table).toContain(
      "- **sample**: A sample. Commit 0123456789ab, 2 cores (Test CPU), node v20.0.0, 2025-01-02",
    );
    expect(table).toContain("Notes: rate limit raised to 1e9.");
  });

  it("says so when there are no results", () => {
    expect(renderMarkdownTable([])).toBe("No recorded results yet.\n");
  });

  it("formats numbers for reading", () => {
    expect([12345.6, 123.4, 12.345, 0.012345, 0].map(formatNumber)).toEqual([
      "12,346",
      "123",
      "12.3",
      "0.0123",
      "0",
    ]);
  });
});

describe("renderChartSvg", () => {
  it("is well-formed XML with one line per variant per panel, escaping names", () => {
    const svg = renderChartSvg(sampleResult());
    const elements = parseXmlElements(svg);
    expect(elements[0]!.name).toBe("svg");
    const panels = elements.filter((e) => e.name === "g" && e.attributes.class === "panel");
    expect(panels.map((p) => p.attributes["data-metric"])).toEqual(["rps", "p99"]);
    for (const panel of panels) {
      const lines = elements.filter((e) => e.name === "polyline" && e.parent === panel);
      expect(lines.map((l) => l.attributes["data-variant"])).toEqual([
        "direct",
        "via &lt;gateway&gt; &amp; co",
      ]);
    }
    expect(svg).toContain("concurrency (log scale)");
    expect(svg).toContain("Throughput (req/s)");
    expect(svg).toContain("p99 latency (ms)");
  });

  it("puts concurrencies on a log scale: 1, 8 and 64 equally spaced", () => {
    const result = sampleResult({
      settings: { ...sampleResult().settings, concurrencies: [1, 8, 64] },
    });
    result.variants[0]!.runs.push({ ...result.variants[0]!.runs[1]!, concurrency: 64 });
    const line = parseXmlElements(renderChartSvg(result)).find((e) => e.name === "polyline")!;
    const xs = line.attributes.points!.split(" ").map((p) => Number(p.split(",")[0]));
    expect(xs).toHaveLength(3);
    expect(xs[1]! - xs[0]!).toBeCloseTo(xs[2]! - xs[1]!, 0);
  });

  it("plots higher values higher up", () => {
    const line = parseXmlElements(renderChartSvg(sampleResult())).find(
      (e) => e.name === "polyline",
    )!;
    // direct goes from 1,000 to 4,000 req/s: SVG y grows downwards.
    const ys = line.attributes.points!.split(" ").map((p) => Number(p.split(",")[1]));
    expect(ys[1]).toBeLessThan(ys[0]!);
  });
});

describe("the tests' XML reader", () => {
  it.each([
    ["<svg><g></svg>", /does not close/],
    ["<svg><g>", /unclosed/],
    ['<svg a="1" a="2"/>', /duplicate attribute/],
    ["<svg>a & b</svg>", /unescaped &/],
    ["<svg a=1/>", /malformed tag/],
    ["<a/><b/>", /more than one root/],
  ])("rejects %s", (xml, message) => {
    expect(() => parseXmlElements(xml)).toThrow(message);
  });
});

describe("the README", () => {
  it("documents every field of the schema", () => {
    const readme = readFileSync(join(__dirname, "..", "README.md"), "utf8");
    const fields = JSON.stringify(sampleResult()).match(/"[a-zA-Z0-9]+":/g)!;
    const documented = new Set([...readme.matchAll(/`([a-zA-Z0-9]+)`/g)].map((m) => m[1]));
    const names = [...new Set(fields.map((f) => f.slice(1, -2)))].filter((n) => !/^\d+$/.test(n));
    expect(names.filter((name) => !documented.has(name))).toEqual([]);
  });
});

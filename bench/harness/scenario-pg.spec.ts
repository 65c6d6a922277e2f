import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createScratchDatabase, type ScratchDatabase } from "@shop/libs/db";
import { TEST_ADMIN_URL } from "@shop/libs/testing";
import { Client } from "pg";
import { runPgLoad } from "./load-pg";
import { readResults, type ScenarioResult } from "./results";
import { runScenario } from "./scenario";
import { defineScenario } from "./scenario-definition";

const tmp = mkdtempSync(join(tmpdir(), "bench-pg-spec-"));
let db: ScratchDatabase;
beforeAll(async () => {
  db = await createScratchDatabase(TEST_ADMIN_URL);
  const client = new Client({ connectionString: db.url });
  await client.connect();
  // A row per statement sent, with the parameter it carried: what the server really ran.
  await client.query("CREATE TABLE sent (n int NOT NULL)");
  await client.end();
});
afterAll(async () => {
  await db.drop();
  rmSync(tmp, { recursive: true, force: true });
});

const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !key.startsWith("BENCH_")),
);

const count = async (sql: string): Promise<number> => {
  const client = new Client({ connectionString: db.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(sql);
    return Number(rows[0]!.n);
  } finally {
    await client.end();
  }
};

describe("runScenario over PostgreSQL", () => {
  let result: ScenarioResult;
  beforeAll(async () => {
    result = await runScenario(
      defineScenario({
        name: "harness-pg",
        description: "The harness against a scratch database.",
        processes: [],
        warmupMs: 60_000,
        durationMs: 60_000,
        concurrencies: [1, 4],
        variants: [
          {
            name: "insert",
            load: () => ({
              protocol: "pg",
              connectionString: db.url,
              statement: { text: "INSERT INTO sent (n) VALUES ($1)", values: [1] },
            }),
          },
          {
            name: "divide-by-zero",
            load: () => ({
              protocol: "pg",
              connectionString: db.url,
              statement: [{ text: "SELECT 1 / $1::int", values: [0] }],
            }),
          },
        ],
      }),
      {
        resultsDir: join(tmp, "results"),
        logDir: tmp,
        env: {
          ...cleanEnv,
          BENCH_DURATION_MS: "300",
          BENCH_WARMUP_MS: "0",
          BENCH_ROUND_MS: "150",
        },
        log: () => {},
      },
    );
  });

  it("writes a valid results file with the pg protocol", () => {
    expect(readResults(join(tmp, "results"))).toEqual([result]);
    expect(result.variants.map((v) => v.protocol)).toEqual(["pg", "pg"]);
    for (const variant of result.variants) {
      expect(variant.runs.map((r) => [r.concurrency, r.rounds])).toEqual([
        [1, 2],
        [4, 2],
      ]);
    }
  });

  it("counts answers as OK or by SQLSTATE, every one run by the server", async () => {
    const [insert, failing] = result.variants;
    const inserted = insert!.runs.reduce((sum, r) => sum + r.requests, 0);
    expect(inserted).toBeGreaterThan(0);
    expect(await count("SELECT count(*) AS n FROM sent")).toBe(inserted);
    for (const run of insert!.runs) {
      expect(run.responses).toEqual({ OK: run.requests });
      expect(run.errors.total).toBe(0);
    }
    for (const run of failing!.runs) {
      expect(run.requests).toBeGreaterThan(0);
      // 22012: division_by_zero.
      expect(run.errors.byStatus).toEqual({ "22012": run.requests });
      expect(run.errors.total).toBe(run.requests);
    }
  });

  it("measures the pg load generator", () => {
    for (const run of result.variants.flatMap((v) => v.runs)) {
      expect(run.processes.map((p) => p.name)).toEqual(["load-pg"]);
      expect(run.processes[0]!.cpuPercent).toBeGreaterThan(0);
    }
  });
});

describe("runPgLoad", () => {
  it("has the callers cycle through the statements with their own parameters", async () => {
    const result = await runPgLoad({
      protocol: "pg",
      connectionString: db.url,
      // Named: parsed once per connection, then run by name with each entry's values.
      statement: [2, 3].map((n) => ({
        name: "insert-sent",
        text: "INSERT INTO sent (n) VALUES ($1)",
        values: [n],
      })),
      concurrency: 3,
      durationMs: 300,
    });
    expect(result.protocol).toBe("pg");
    expect(result.histogram.count).toBe(result.requests);
    const twos = await count("SELECT count(*) AS n FROM sent WHERE n = 2");
    const threes = await count("SELECT count(*) AS n FROM sent WHERE n = 3");
    expect(twos + threes).toBe(result.requests);
    // One shared cursor: the two entries are sent in turn.
    expect(Math.abs(twos - threes)).toBeLessThanOrEqual(1);
  });

  it("answers a statement past its timeout with 57014", async () => {
    const result = await runPgLoad({
      protocol: "pg",
      connectionString: db.url,
      statement: { text: "SELECT pg_sleep(1)" },
      concurrency: 2,
      durationMs: 100,
      timeoutMs: 30,
    });
    expect(result.requests).toBeGreaterThan(0);
    expect(result.responses).toEqual({ "57014": result.requests });
  });

  it("fails the phase when the database cannot be reached", async () => {
    const url = new URL(db.url);
    url.pathname = "/no_such_database_for_bench";
    await expect(
      runPgLoad({
        protocol: "pg",
        connectionString: url.toString(),
        statement: { text: "SELECT 1" },
        concurrency: 1,
        durationMs: 100,
      }),
    ).rejects.toThrow(/no_such_database_for_bench/);
  });
});

/**
 * `make chaos`: the long reliability suite. Runs test/reliability with
 * CHAOS_PROFILE=long (more orders per fault, every fault several times, a longer fuzz),
 * one test file at a time so faults never overlap, then prints one table of every
 * scenario's figures and, for information only, `npm audit --omit=dev` (advisories
 * change without code changes, so it is never a gate).
 *
 *   tsx scripts/chaos.ts                 # long profile
 *   tsx scripts/chaos.ts --short         # what CI runs, with the table
 *   tsx scripts/chaos.ts --seed 42       # another fuzz seed
 *
 * Bounded: each scenario stops by count and time, and the whole run by CHAOS_TIMEOUT
 * (default 45 min). Loopback only.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(__dirname, "..");

interface Options {
  profile: "short" | "long";
  seed: string | undefined;
  timeoutMs: number;
}

function parseArgs(argv: readonly string[]): Options {
  const seedAt = argv.indexOf("--seed");
  const seed = seedAt >= 0 ? argv[seedAt + 1] : undefined;
  if (seed !== undefined && !/^\d+$/.test(seed)) throw new Error("--seed takes a whole number");
  const minutes = Number(process.env.CHAOS_TIMEOUT_MINUTES ?? 45);
  return {
    profile: argv.includes("--short") ? "short" : "long",
    seed,
    timeoutMs: (Number.isFinite(minutes) && minutes > 0 ? minutes : 45) * 60_000,
  };
}

function runJest(options: Options, reportFile: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(
      join(ROOT, "node_modules", ".bin", "jest"),
      ["--runInBand", "--coverage=false", "test/reliability"],
      {
        cwd: ROOT,
        stdio: "inherit",
        env: {
          ...process.env,
          CHAOS_PROFILE: options.profile,
          CHAOS_REPORT_FILE: reportFile,
          ...(options.seed ? { CHAOS_SEED: options.seed } : {}),
        },
      },
    );
    const timer = setTimeout(() => {
      process.stderr.write(`chaos: stopped after ${options.timeoutMs / 60_000} min\n`);
      child.kill("SIGTERM");
    }, options.timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve(code ?? 1);
    });
  });
}

interface Row {
  name: string;
  orders: {
    attempted: number;
    acknowledged: number;
    createdUnacknowledged: number;
    finalStates: Record<string, number>;
    errors: Record<string, number>;
  };
  events: {
    written: number;
    inStream: number;
    duplicateEntries: number;
    userDeletedApplied: number;
    userDeleted: number;
  };
  stock: { conserved: number; products: number };
  sagasRecovered: number;
  violations: string[];
}

function printTable(reportFile: string): void {
  if (!existsSync(reportFile)) return;
  const rows = readFileSync(reportFile, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Row);
  const lines = [
    "| fault | attempted | acknowledged | CONFIRMED/CANCELLED/FAILED | unacked created | error answers | events (dup) | UserDeleted | sagas recovered | stock | violations |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map((r) => {
      const s = r.orders.finalStates;
      const errors =
        Object.entries(r.orders.errors)
          .map(([k, n]) => `${k}x${n}`)
          .join(" ") || "none";
      return `| ${r.name} | ${r.orders.attempted} | ${r.orders.acknowledged} | ${s.CONFIRMED ?? 0}/${s.CANCELLED ?? 0}/${s.FAILED ?? 0} | ${r.orders.createdUnacknowledged} | ${errors} | ${r.events.inStream}/${r.events.written} (+${r.events.duplicateEntries}) | ${r.events.userDeletedApplied}/${r.events.userDeleted} | ${r.sagasRecovered} | ${r.stock.conserved}/${r.stock.products} | ${r.violations.length} |`;
    }),
  ];
  process.stdout.write(`\n== chaos: every scenario\n${lines.join("\n")}\n`);
}

function printAudit(): void {
  process.stdout.write("\n== npm audit --omit=dev (information, not a gate)\n");
  const audit = spawnSync("npm", ["audit", "--omit=dev"], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 120_000,
  });
  const output = `${audit.stdout ?? ""}${audit.stderr ?? ""}`.trim();
  process.stdout.write(`${output || "no output"}\n`);
  if (/endpoint returned an error|ENOTFOUND|EAI_AGAIN|405/.test(output)) {
    process.stdout.write(
      "(the advisory endpoint was not reachable: see RELIABILITY.md, Dependencies)\n",
    );
  }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), "chaos-"));
  const reportFile = join(dir, "scenarios.jsonl");
  process.stdout.write(
    `== chaos: profile ${options.profile}${options.seed ? `, seed ${options.seed}` : ""}\n`,
  );
  const code = await runJest(options, reportFile);
  printTable(reportFile);
  rmSync(dir, { recursive: true, force: true });
  if (options.profile === "long") printAudit();
  process.exit(code);
}

void main();

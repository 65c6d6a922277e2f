import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createSupervisor, type ProcessDefinition, restartDelayMs } from "./supervisor";

/** A child process running `code` under plain node. */
function child(name: string, code: string): ProcessDefinition {
  return { name, command: process.execPath, args: ["-e", code], env: process.env };
}

async function until<T>(what: string, check: () => T | undefined | false): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const parsed = (lines: string[]) => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "supervisor-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it("restarts a crashing process with a growing backoff, reporting each crash", async () => {
  const lines: string[] = [];
  const supervisor = createSupervisor({
    pretty: false,
    restart: true,
    write: (l) => lines.push(l),
  });
  supervisor.start(child("flaky", "console.log('up'); process.exit(3)"));
  try {
    await until("two restarts", () => lines.filter((l) => l.includes("restart 2")).length > 0);
  } finally {
    await supervisor.stop();
  }
  const reports = parsed(lines).filter((r) => r.service === "dev");
  expect(reports.slice(0, 2)).toEqual([
    expect.objectContaining({
      level: "error",
      message: "flaky exited with code 3; restarting in 500 ms (restart 1)",
      process: "flaky",
      exitCode: 3,
      restart: 1,
      restartInMs: 500,
    }),
    expect.objectContaining({
      message: "flaky exited with code 3; restarting in 1000 ms (restart 2)",
      restart: 2,
    }),
  ]);
  // Each start wrote its line: the process really ran again.
  expect(parsed(lines).filter((r) => r.message === "up").length).toBeGreaterThanOrEqual(2);
});

it("caps the backoff at its last step", () => {
  expect([1, 2, 3, 6, 7, 100].map(restartDelayMs)).toEqual([
    500, 1_000, 2_000, 30_000, 30_000, 30_000,
  ]);
});

it("reports a crash and resolves `failed` instead of restarting with --no-restart", async () => {
  const lines: string[] = [];
  const supervisor = createSupervisor({
    pretty: false,
    restart: false,
    write: (l) => lines.push(l),
  });
  supervisor.start(child("once", "process.exit(1)"));
  expect(await supervisor.failed).toBe("once");
  await supervisor.stop();
  expect(parsed(lines)).toContainEqual(
    expect.objectContaining({
      service: "dev",
      level: "error",
      message: "once exited with code 1; not restarting (--no-restart)",
    }),
  );
});

it("does not restart a process that stopped on a configuration error", async () => {
  const lines: string[] = [];
  const supervisor = createSupervisor({
    pretty: false,
    restart: true,
    write: (l) => lines.push(l),
  });
  supervisor.start(
    child("misconfigured", "console.error('GRPC_PORT: expected a port'); process.exit(78)"),
  );
  expect(await supervisor.failed).toBe("misconfigured");
  await supervisor.stop();
  const reports = parsed(lines).filter((r) => r.service === "dev");
  expect(reports).toEqual([
    expect.objectContaining({
      message: "misconfigured exited with code 78 (configuration error); not restarting",
    }),
  ]);
});

it("stops a process with exactly one SIGTERM and waits for its graceful exit", async () => {
  const lines: string[] = [];
  const supervisor = createSupervisor({
    pretty: false,
    restart: true,
    write: (l) => lines.push(l),
  });
  supervisor.start(
    child(
      "graceful",
      `let n = 0;
       process.on("SIGTERM", () => { n++; setTimeout(() => { console.log("signals " + n); process.exit(0); }, 300); });
       process.on("SIGINT", () => console.log("SIGINT too"));
       console.log("ready"); setInterval(() => {}, 1000);`,
    ),
  );
  await until("the child to start", () => lines.some((l) => l.includes("ready")));
  await supervisor.stop();
  const messages = parsed(lines).map((r) => r.message);
  expect(messages).toContain("signals 1");
  expect(messages).not.toContain("SIGINT too");
  // Stopping is not a crash: nothing is reported or restarted.
  expect(parsed(lines).filter((r) => r.service === "dev")).toEqual([]);
});

it("kills a process without restarting it, and starts it again on request", async () => {
  const lines: string[] = [];
  const supervisor = createSupervisor({
    pretty: false,
    restart: true,
    write: (l) => lines.push(l),
  });
  const definition = child("svc", "console.log('started'); setInterval(() => {}, 1000)");
  supervisor.start(definition);
  try {
    await until("the first start", () => lines.some((l) => l.includes("started")));
    await supervisor.kill("svc");
    await sleep(700); // longer than the first restart's backoff
    expect(parsed(lines).filter((r) => r.message === "started")).toHaveLength(1);
    expect(parsed(lines).filter((r) => r.service === "dev")).toEqual([]);
    supervisor.start(definition);
    await until(
      "the second start",
      () => parsed(lines).filter((r) => r.message === "started").length === 2,
    );
  } finally {
    await supervisor.stop();
  }
});

it("writes every line as JSON to the log file, naming the process of non-JSON lines", async () => {
  const lines: string[] = [];
  const logFile = join(dir, "logs.jsonl");
  const supervisor = createSupervisor({
    pretty: true,
    restart: false,
    write: (l) => lines.push(l),
    logFile,
  });
  supervisor.start(
    child(
      "mixed",
      `console.log(JSON.stringify({ service: "order-service", level: "info", message: "hello", traceId: "t1" }));
       console.error("plain text on stderr");`,
    ),
  );
  expect(await supervisor.failed).toBe("mixed");
  await supervisor.stop();
  const records = readFileSync(logFile, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  // stdout and stderr are separate pipes: their lines may arrive in either order.
  expect(records).toHaveLength(3);
  expect(records).toEqual(
    expect.arrayContaining([
      { service: "order-service", level: "info", message: "hello", traceId: "t1" },
      expect.objectContaining({
        service: "mixed",
        level: "error",
        message: "plain text on stderr",
      }),
      expect.objectContaining({ service: "dev", message: expect.stringMatching(/^mixed exited/) }),
    ]),
  );
  // The terminal gets the pretty form, prefixed by the record's own service.
  expect(lines.some((l) => /order-service.*INFO.*hello/.test(l))).toBe(true);
  expect(lines.some((l) => l.includes("!! mixed exited with code 0"))).toBe(true);
});

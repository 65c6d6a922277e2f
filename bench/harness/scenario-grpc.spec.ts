import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runGrpcLoad } from "./load-grpc";
import { findFreePort, type ProcessGroup, startProcesses, tsxCommand } from "./processes";
import { readResults, type ScenarioResult } from "./results";
import { runScenario } from "./scenario";
import { defineScenario } from "./scenario-definition";

const tmp = mkdtempSync(join(tmpdir(), "bench-grpc-spec-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const GRPC_FIXTURE = join(__dirname, "fixtures", "grpc-server.ts");
const CHECK = "/grpc.health.v1.Health/Check";
/** grpc.health.v1.HealthCheckRequest { service }, encoded by hand: field 1, length-delimited. */
const healthCheck = (service: string) =>
  Buffer.concat([Buffer.from([0x0a, Buffer.byteLength(service)]), Buffer.from(service)]);

const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !key.startsWith("BENCH_")),
);

const scenario = defineScenario({
  name: "harness-grpc",
  description: "The harness against a tiny gRPC server.",
  ports: ["grpc"],
  processes: ({ ports }) => [
    {
      name: "grpc-server",
      ...tsxCommand(GRPC_FIXTURE),
      env: { PORT: String(ports.grpc) },
      ready: { port: ports.grpc },
    },
  ],
  // Deliberately long: the BENCH_* overrides below must shorten them.
  warmupMs: 60_000,
  durationMs: 60_000,
  concurrencies: [1, 8, 64, 256],
  variants: [
    {
      name: "health",
      load: (_c, { ports }) => ({
        protocol: "grpc",
        target: `127.0.0.1:${ports.grpc}`,
        method: CHECK,
        request: healthCheck(""),
      }),
    },
    {
      name: "health-cycling",
      load: (_c, { ports }) => ({
        protocol: "grpc",
        target: `127.0.0.1:${ports.grpc}`,
        method: CHECK,
        request: [healthCheck(""), healthCheck("no-such-service")],
        channels: 2,
      }),
    },
    {
      name: "echo-with-token",
      load: (_c, { ports }) => ({
        protocol: "grpc",
        target: `127.0.0.1:${ports.grpc}`,
        method: "/bench.Echo/Echo",
        request: Buffer.from("hello"),
        metadata: {
          authorization: "Bearer test",
          "x-trace-bin": Buffer.from([1, 2]).toString("base64"),
        },
      }),
    },
    {
      name: "echo-without-token",
      load: (_c, { ports }) => ({
        protocol: "grpc",
        target: `127.0.0.1:${ports.grpc}`,
        method: "/bench.Echo/Echo",
        request: Buffer.from("hello"),
      }),
    },
  ],
});

describe("runScenario over gRPC", () => {
  let result: ScenarioResult;
  beforeAll(async () => {
    result = await runScenario(scenario, {
      resultsDir: join(tmp, "results"),
      logDir: tmp,
      env: {
        ...cleanEnv,
        BENCH_CONCURRENCIES: "1,4",
        BENCH_DURATION_MS: "300",
        BENCH_WARMUP_MS: "100",
        BENCH_ROUND_MS: "150",
      },
      log: () => {},
    });
  });

  it("applies the environment overrides and writes a valid results file", () => {
    expect(readResults(join(tmp, "results"))).toEqual([result]);
    expect(result.settings).toMatchObject({
      durationMs: 300,
      warmupMs: 100,
      roundMs: 150,
      concurrencies: [1, 4],
    });
    for (const variant of result.variants) {
      expect(variant.protocol).toBe("grpc");
      expect(variant.runs.map((r) => [r.concurrency, r.rounds])).toEqual([
        [1, 2],
        [4, 2],
      ]);
    }
  });

  it("counts answers by gRPC status, sending the metadata given", () => {
    const [health, cycling, withToken, withoutToken] = result.variants;
    for (const run of [...health!.runs, ...withToken!.runs]) {
      expect(run.requests).toBeGreaterThan(0);
      expect(run.responses).toEqual({ OK: run.requests });
      expect(run.errors.total).toBe(0);
    }
    for (const run of withoutToken!.runs) {
      expect(run.requests).toBeGreaterThan(0);
      expect(run.errors.byStatus).toEqual({ UNAUTHENTICATED: run.requests });
      expect(run.errors.total).toBe(run.requests);
    }
    for (const run of cycling!.runs) {
      // Each caller alternates: the two counts differ by at most one per caller per round.
      const { OK = 0, NOT_FOUND = 0 } = run.responses;
      expect(OK + NOT_FOUND).toBe(run.requests);
      expect(Math.abs(OK - NOT_FOUND)).toBeLessThanOrEqual(run.rounds * run.concurrency);
      expect(run.errors.byStatus).toEqual({ NOT_FOUND });
    }
  });

  it("measures the server and the gRPC load generator", () => {
    for (const run of result.variants.flatMap((v) => v.runs)) {
      expect(run.processes.map((p) => p.name)).toEqual(["grpc-server", "load-grpc"]);
      expect(run.processes[0]!.startupMs).toBe(result.processes[0]!.startupMs);
      for (const p of run.processes) {
        expect(p.cpuPercent).toBeGreaterThan(0);
        expect(p.peakRssMb).toBeGreaterThan(0);
      }
    }
  });
});

describe("runGrpcLoad", () => {
  let group: ProcessGroup;
  let port: number;
  beforeAll(async () => {
    port = await findFreePort();
    group = await startProcesses(
      [{ name: "grpc", ...tsxCommand(GRPC_FIXTURE), env: { PORT: String(port) }, ready: { port } }],
      { logDir: tmp },
    );
  });
  afterAll(() => group.stop());

  it("reports an unknown method as UNIMPLEMENTED", async () => {
    const unknown = await runGrpcLoad({
      protocol: "grpc",
      target: `127.0.0.1:${port}`,
      method: "/no.Such/Method",
      request: Buffer.alloc(0),
      concurrency: 2,
      durationMs: 100,
    });
    expect(unknown.requests).toBeGreaterThan(0);
    expect(unknown.responses).toEqual({ UNIMPLEMENTED: unknown.requests });
    expect(unknown.histogram.count).toBe(unknown.requests);
  });

  it("has concurrent callers share a request list without re-sending an entry", async () => {
    // One-off requests, far more than the phase can send: a re-sent one is ALREADY_EXISTS.
    const requests = Array.from({ length: 200_000 }, (_, i) => Buffer.from(`once-${i}`));
    const result = await runGrpcLoad({
      protocol: "grpc",
      target: `127.0.0.1:${port}`,
      method: "/bench.Echo/Once",
      request: requests,
      concurrency: 4,
      // Long enough for every caller to send several requests even on a loaded machine:
      // a re-send needs a caller's second request.
      durationMs: 1_000,
    });
    expect(result.requests).toBeGreaterThan(4);
    expect(result.responses).toEqual({ OK: result.requests });
  });

  it("counts calls past their deadline as DEADLINE_EXCEEDED", async () => {
    const result = await runGrpcLoad({
      protocol: "grpc",
      target: `127.0.0.1:${port}`,
      method: "/bench.Echo/Slow",
      request: Buffer.alloc(0),
      concurrency: 2,
      durationMs: 100,
      deadlineMs: 30,
    });
    expect(result.requests).toBeGreaterThan(0);
    expect(result.responses).toEqual({ DEADLINE_EXCEEDED: result.requests });
  });

  it("reports every call as UNAVAILABLE when nothing listens", async () => {
    const result = await runGrpcLoad({
      protocol: "grpc",
      target: `127.0.0.1:${await findFreePort()}`,
      method: CHECK,
      request: healthCheck(""),
      concurrency: 1,
      durationMs: 100,
    });
    expect(result.requests).toBeGreaterThan(0);
    expect(Object.keys(result.responses)).toEqual(["UNAVAILABLE"]);
  });
});

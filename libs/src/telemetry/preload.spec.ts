import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { SpanRecord } from "./span-file-exporter";

const ROOT = resolve(__dirname, "../../..");
const TSX = join(ROOT, "node_modules/.bin/tsx");
const PRELOAD = join(__dirname, "preload.ts");
const APP = join(__dirname, "test-app/main.ts");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the test app under the preload, with only the given telemetry variables set. */
function runApp(variables: Record<string, string>): Promise<Run> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(OTEL_|SHOP_|SERVICE_NAME$)/.test(key)) env[key] = value;
  }
  const child = spawn(TSX, ["--require", PRELOAD, APP], {
    cwd: ROOT,
    env: { ...env, ...variables },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((done) => child.on("close", (code) => done({ code, stdout, stderr })));
}

const readSpans = (path: string): SpanRecord[] =>
  readFileSync(path, "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as SpanRecord);

const logLines = (run: Run): Record<string, unknown>[] =>
  run.stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => "message" in line);

/** The four spans of the /greet request: http client -> http server -> grpc client -> grpc server. */
function requestSpans(all: SpanRecord[]) {
  const grpcServer = all.find((s) => s.kind === "SERVER" && s.name === "grpc.fixture.v1.Echo/Say");
  if (!grpcServer) throw new Error(`no grpc server span in ${JSON.stringify(all)}`);
  const spans = all.filter((s) => s.traceId === grpcServer.traceId);
  const find = (kind: string, name: string) => {
    const span = spans.find((s) => s.kind === kind && s.name === name);
    if (!span) throw new Error(`no ${kind} span ${name} in ${JSON.stringify(spans)}`);
    return span;
  };
  return {
    httpClient: find("CLIENT", "GET"),
    httpServer: find("SERVER", "GET"),
    grpcClient: find("CLIENT", "grpc.fixture.v1.Echo/Say"),
    grpcServer,
    inTrace: spans.length,
  };
}

describe("telemetry preload in a real process", () => {
  const suffix = randomBytes(4).toString("hex");
  const serviceSpans = join(tmpdir(), `shop-spans-${suffix}-service.jsonl`);
  const embeddedSpans = join(tmpdir(), `shop-spans-${suffix}-embedded.jsonl`);
  const otlpRequests: { path?: string; contentType?: string; body: Buffer }[] = [];
  let collector: Server;
  let service: Run;
  let embedded: Run;
  let misconfigured: Run;

  beforeAll(async () => {
    // Stands in for an OpenTelemetry collector's OTLP/HTTP receiver.
    collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        otlpRequests.push({
          path: req.url,
          contentType: req.headers["content-type"],
          body: Buffer.concat(chunks),
        });
        res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
      });
    });
    await new Promise<void>((ready) => collector.listen(0, "127.0.0.1", ready));
    const { port } = collector.address() as AddressInfo;

    [service, embedded, misconfigured] = await Promise.all([
      runApp({
        OTEL_SERVICE_NAME: "order-service",
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}/`,
        SHOP_SPAN_FILE: serviceSpans,
      }),
      runApp({ SERVICE_NAME: "ignored", SHOP_EMBEDDED: "true", SHOP_SPAN_FILE: embeddedSpans }),
      runApp({ OTEL_SERVICE_NAME: "order-service", OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" }),
    ]);
  }, 30_000);

  afterAll(async () => {
    rmSync(serviceSpans, { force: true });
    rmSync(embeddedSpans, { force: true });
    await new Promise((done) => collector.close(done));
  });

  it("runs the app to the end", () => {
    expect(service).toMatchObject({ code: 0, stderr: "" });
    expect(service.stdout).toContain('{"fixture":"done","body":"HELLO"}');
    expect(embedded).toMatchObject({ code: 0, stderr: "" });
  });

  it("loads the OTLP exporter only with an endpoint, and never the SDK's unused parts", () => {
    const loaded = (run: Run) =>
      run.stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as { fixture?: string; packages?: string[] })
        .find((line) => line.fixture === "loaded")?.packages;
    expect(loaded(service)).toContain("@opentelemetry/exporter-trace-otlp-proto");
    expect(loaded(embedded)).toEqual(expect.arrayContaining(["@opentelemetry/sdk-trace-base"]));
    expect(loaded(embedded)).not.toContain("@opentelemetry/exporter-trace-otlp-proto");
    // NodeSDK would bring every exporter, the metrics and logs SDKs and a YAML parser;
    // the OTLP exporter brings the metrics SDK (its transformer's), only when configured.
    const unused = (names: string[]) => names.map((name) => `@opentelemetry/${name}`);
    for (const name of unused(["sdk-node", "sdk-logs", "configuration", "exporter-zipkin"]))
      expect(loaded(service)).not.toContain(name);
    for (const name of unused(["sdk-node", "sdk-logs", "sdk-metrics", "otlp-transformer"]))
      expect(loaded(embedded)).not.toContain(name);
  });

  it("links http server, grpc client and grpc server spans in one trace", () => {
    const spans = requestSpans(readSpans(serviceSpans));
    expect(spans.inTrace).toBe(4);
    expect(spans.httpClient.parentSpanId).toBeUndefined();
    expect(spans.httpServer.parentSpanId).toBe(spans.httpClient.spanId);
    expect(spans.grpcClient.parentSpanId).toBe(spans.httpServer.spanId);
    expect(spans.grpcServer.parentSpanId).toBe(spans.grpcClient.spanId);
    expect(spans.grpcServer).toMatchObject({
      service: "order-service",
      status: { code: "UNSET" },
      attributes: expect.objectContaining({ "rpc.method": "Say" }),
    });
    expect(spans.grpcServer.attributes).not.toHaveProperty("shop.service");
  });

  it("puts the trace and span ids in log lines written inside a span", () => {
    const { grpcServer } = requestSpans(readSpans(serviceSpans));
    const line = logLines(service).find((l) => l.message === "grpc handled");
    expect(line).toBeDefined();
    expect(Object.keys(line!).slice(0, 6)).toEqual([
      "timestamp",
      "service",
      "level",
      "traceId",
      "spanId",
      "message",
    ]);
    expect(line).toMatchObject({ traceId: grpcServer.traceId, spanId: grpcServer.spanId });
  });

  it("leaves admin probe paths without a server span", () => {
    const spans = readSpans(serviceSpans);
    const paths = spans
      .filter((s) => s.kind === "SERVER" && s.name === "GET")
      .map((s) => s.attributes["url.path"] ?? s.attributes["http.target"]);
    expect(paths).toEqual(["/greet"]);
    expect(spans.filter((s) => s.kind === "CLIENT" && s.name === "GET")).toHaveLength(2);
  });

  it("exports the spans over OTLP/protobuf to <endpoint>/v1/traces", () => {
    const { traceId } = requestSpans(readSpans(serviceSpans)).grpcServer;
    expect(otlpRequests.length).toBeGreaterThan(0);
    expect(otlpRequests[0]).toMatchObject({
      path: "/v1/traces",
      contentType: "application/x-protobuf",
    });
    const traceIdBytes = Buffer.from(traceId, "hex");
    expect(otlpRequests.some((request) => request.body.includes(traceIdBytes))).toBe(true);
  });

  it("in the embedded mode names each span's service in shop.service", () => {
    const spans = requestSpans(readSpans(embeddedSpans));
    expect(spans.httpServer.attributes["shop.service"]).toBe("api-gateway");
    expect(spans.grpcClient.attributes["shop.service"]).toBe("api-gateway");
    expect(spans.grpcServer.attributes["shop.service"]).toBe("product-service");
    expect(spans.grpcServer.service).toBe("product-service");
    // Started outside any service's work: only the process-wide resource names it.
    expect(spans.httpClient.attributes).not.toHaveProperty("shop.service");
    expect(spans.httpClient.service).toBe("shop-embedded");
    expect(spans.grpcServer.parentSpanId).toBe(spans.grpcClient.spanId);
  });

  it("stops the process on a malformed variable, naming it", () => {
    expect(misconfigured.code).toBe(1);
    expect(misconfigured.stderr).toContain("OTEL_EXPORTER_OTLP_ENDPOINT: expected a URL");
    expect(misconfigured.stdout).toBe("");
  });
});

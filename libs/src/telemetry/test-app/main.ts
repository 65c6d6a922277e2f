/**
 * A small program for telemetry.spec.ts, run in a child process under the preload
 * (`tsx --require ../preload.ts`), because instrumentation has to be in place before
 * http and @grpc/grpc-js load. An HTTP request comes in, its handler calls a gRPC
 * server, both log a line, then telemetry is flushed. Each side runs inside
 * withServiceName, as the server pipelines will, which matters in the embedded mode.
 */
import { createServer as createHttpServer, get } from "node:http";
import type { AddressInfo } from "node:net";
import * as grpc from "@grpc/grpc-js";
import { createLogger } from "../../logging";
import { shutdownTelemetry, withServiceName } from "..";

const log = createLogger({ service: "fixture" });
const json = {
  serialize: (value: unknown) => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer) => JSON.parse(bytes.toString()) as { text: string },
};
const echo: grpc.ServiceDefinition = {
  say: {
    path: "/fixture.v1.Echo/Say",
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  },
};

async function main(): Promise<void> {
  const grpcServer = new grpc.Server();
  grpcServer.addService(echo, {
    say: (
      call: grpc.ServerUnaryCall<{ text: string }, unknown>,
      callback: grpc.sendUnaryData<unknown>,
    ) =>
      withServiceName("product-service", () => {
        log.info({ text: call.request.text }, "grpc handled");
        callback(null, { text: call.request.text.toUpperCase() });
      }),
  });
  const grpcPort = await new Promise<number>((resolve, reject) =>
    grpcServer.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) =>
      error ? reject(error) : resolve(port),
    ),
  );
  const Echo = grpc.makeGenericClientConstructor(echo, "Echo");
  const client = new Echo(
    `127.0.0.1:${grpcPort}`,
    grpc.credentials.createInsecure(),
  ) as unknown as {
    say(
      request: { text: string },
      callback: (error: Error | null, reply?: { text: string }) => void,
    ): void;
  };

  const httpServer = createHttpServer((req, res) =>
    withServiceName("api-gateway", () => {
      if (req.url === "/health") return res.end("ok");
      client.say({ text: "hello" }, (error, reply) => {
        log.info({ reply: reply?.text }, "http handled");
        res.writeHead(error ? 500 : 200).end(reply?.text ?? String(error));
      });
    }),
  );
  await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
  const httpPort = (httpServer.address() as AddressInfo).port;

  const body = await fetchText(`http://127.0.0.1:${httpPort}/greet`);
  // A probe path: the http instrumentation leaves it without a server span.
  await fetchText(`http://127.0.0.1:${httpPort}/health`);

  (client as unknown as grpc.Client).close();
  grpcServer.forceShutdown();
  httpServer.closeAllConnections();
  await new Promise((resolve) => httpServer.close(resolve));
  await shutdownTelemetry();
  process.stdout.write(`${JSON.stringify({ fixture: "done", body })}\n`);
  process.stdout.write(
    `${JSON.stringify({ fixture: "loaded", packages: openTelemetryPackages() })}\n`,
  );
}

/** The @opentelemetry packages this process loaded, by name (what starting telemetry cost). */
function openTelemetryPackages(): string[] {
  const names = Object.keys(require.cache).flatMap(
    (file) => /node_modules\/(@opentelemetry\/[^/]+)\//.exec(file)?.[1] ?? [],
  );
  return [...new Set(names)].sort();
}

function fetchText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => {
        text += chunk.toString();
      });
      res.on("end", () => resolve(text));
    }).on("error", reject);
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

/**
 * Test support: the gateway started on port 0 against the test-only contract's
 * backends (and, when given, the shop's own), with a stand-in token issuer, its own
 * Redis key prefix and quiet logs.
 */
import type { Env } from "@shop/libs/config";
import { createTestIssuer, type TestIssuer, testServiceEnv } from "@shop/libs/testing";
import type { BackendSpec } from "../../src/backend/backend-client";
import { type Gateway, startGateway } from "../../src/gateway";
import { ConformanceService, RawService } from "../gen/conformance/v1/conformance_pb";
import { type ConformanceBackends, startConformanceBackends } from "./conformance-backend";
import { type HttpAnswer, type HttpRequestInit, httpCall } from "./http-client";

export interface TestGateway {
  readonly gateway: Gateway;
  readonly port: number;
  /** The gRPC / Connect / gRPC-Web port (h2c). */
  readonly grpcPort: number;
  call(method: string, path: string, init?: HttpRequestInit): Promise<HttpAnswer>;
  stop(): Promise<void>;
}

export async function startTestGateway(options: {
  env?: Env;
  /** Default: the shop's three services at the *_SERVICE_ADDR of `env`. */
  backends?: readonly BackendSpec[];
  logDestination?: { write(line: string): void };
}): Promise<TestGateway> {
  const gateway = await startGateway({
    env: testServiceEnv(options.env),
    ...(options.backends ? { backends: options.backends } : {}),
    ...(options.logDestination ? { logDestination: options.logDestination } : {}),
  });
  return {
    gateway,
    port: gateway.httpPort,
    grpcPort: gateway.grpcPort,
    call: (method, path, init) => httpCall(gateway.httpPort, method, path, init),
    stop: () => gateway.stop(),
  };
}

export function conformanceBackendSpecs(backends: ConformanceBackends): BackendSpec[] {
  return [
    { name: "conformance", target: `127.0.0.1:${backends.port}`, services: [ConformanceService] },
    { name: "raw", target: `127.0.0.1:${backends.rawPort}`, services: [RawService] },
  ];
}

/** The conformance backends, a token issuer and a gateway in front of them. */
export async function startConformanceStack(env: Env = {}): Promise<{
  issuer: TestIssuer;
  backends: ConformanceBackends;
  gateway: TestGateway;
  stop(): Promise<void>;
}> {
  const issuer = await createTestIssuer();
  const backends = await startConformanceBackends(issuer);
  const gateway = await startTestGateway({
    env: { ...issuer.env, ...env },
    backends: conformanceBackendSpecs(backends),
  });
  return {
    issuer,
    backends,
    gateway,
    async stop() {
      await gateway.stop();
      await backends.stop();
      await issuer.close();
    },
  };
}

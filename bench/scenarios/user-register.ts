/**
 * user-service sign-up: Register over gRPC, each call a new address (argon2id hash,
 * the account and its first refresh-token session in one transaction, an EdDSA JWT).
 *
 * Concurrency 1 only, by necessity: the gRPC load worker has caller k start at entry k
 * of the request list and step by one, so with several callers every entry is sent by
 * each of them in turn and all but the first get ALREADY_EXISTS (a cheap answer that
 * would pass for throughput). A per-caller stride in bench/harness/load-grpc-worker.ts
 * (`i += spec.concurrency`) would make higher concurrencies meaningful here. Login
 * (user-login.ts) shows how the same hash cost scales with concurrency.
 */
import { randomBytes } from "node:crypto";
import { RegisterRequest } from "@shop/gen/ts/shop/user/v1/user";
import { defineScenario } from "../harness";
import { databaseProcess, measureHashCost, userServiceProcess } from "./user-login";

/** Far more than one phase can send at one hash per call. */
const REQUESTS_PER_PHASE = 5_000;
const REGISTER = "/shop.user.v1.UserService/Register";

/** Fresh addresses for one phase: a random tag keeps phases from reusing any. */
function registrations(): Uint8Array[] {
  const tag = randomBytes(4).toString("hex");
  return Array.from({ length: REQUESTS_PER_PHASE }, (_, i) =>
    RegisterRequest.encode({
      email: `bench-${tag}-${i}@example.com`,
      password: "secure123",
      name: "Bench",
    }).finish(),
  );
}

const measured: string[] = [];

export default defineScenario({
  name: "user-register",
  description:
    "user-service Register over gRPC with a new address per call (argon2id hash, account + session insert, EdDSA JWT).",
  ports: ["database", "grpc", "http"],
  processes: ({ ports }) => [databaseProcess(ports.database), userServiceProcess(ports)],
  async setup() {
    measured.push(...(await measureHashCost()));
  },
  warmupMs: 2_000,
  durationMs: 10_000,
  concurrencies: [1],
  get notes() {
    return [
      "each call registers a new address; the list is regenerated for every phase",
      "concurrency 1 only: the load worker's callers walk one shared request list one step apart, so more callers would re-send addresses (see the file's comment)",
      ...measured,
    ];
  },
  variants: [
    {
      name: "register",
      load: (_c, { ports }) => ({
        protocol: "grpc",
        target: `127.0.0.1:${ports.grpc}`,
        method: REGISTER,
        request: registrations(),
      }),
    },
  ],
});

/**
 * user-service sign-up: Register over gRPC, each call a new address (argon2id hash,
 * the account and its first refresh-token session in one transaction, an EdDSA JWT).
 *
 * The gRPC load worker's callers share one cursor over the request list, so no address
 * is sent twice while the list lasts, at any concurrency. 4 is the manifest's reference
 * concurrency for register (four libuv threads hash in parallel).
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
  concurrencies: [1, 4, 8, 64],
  get notes() {
    return [
      "each call registers a new address; the list is regenerated for every phase",
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

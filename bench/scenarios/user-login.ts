/**
 * user-service sign-in: Login over gRPC for 100 seeded accounts, at rising concurrency.
 * Every login verifies an argon2id hash (OWASP parameters, m = 19 MiB, t = 2, p = 1),
 * checks the Redis throttle, writes a refresh-token session and signs an EdDSA JWT;
 * the hash dominates, so the recorded notes give the parameters and the cost of one
 * hash, measured in the harness process with the same library before the run.
 *
 * The scratch database belongs to a small process this file also is (the pattern of
 * product-catalog.ts): run with `--hold-database <name> <port>` it creates the
 * database, signals readiness by listening on the port, and drops it on SIGTERM.
 * user-register.ts reuses these helpers.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { LoginRequest } from "@shop/gen/ts/shop/user/v1/user";
import { createPasswordHasher, OWASP_ARGON2ID } from "@shop/user-service";
import { defineScenario, type ProcessSpec, tsxCommand } from "../harness";
import { databaseUrl, holdDatabases, withClient } from "./support/scratch-database";

const ACCOUNTS = 100;
const PASSWORD = "bench-password-7";
const HASH_SAMPLES = 20;
export const LOGIN = "/shop.user.v1.UserService/Login";

export const userDatabaseName = (port: number) => `bench_users_${port}`;

/** The process holding the scratch database on `port`. */
export function databaseProcess(port: number): ProcessSpec {
  return {
    name: "bench-database",
    ...tsxCommand(__filename, ["--hold-database", userDatabaseName(port), String(port)]),
    ready: { port },
    stopGraceMs: 10_000,
  };
}

/** user-service on the scratch database, verifying its own tokens through its own JWKS. */
export function userServiceProcess(ports: { grpc: number; http: number; database: number }) {
  const database = userDatabaseName(ports.database);
  return {
    name: "user-service",
    ...tsxCommand("services/user/src/main.ts"),
    env: {
      DATABASE_URL: databaseUrl(database),
      USER_KEK: randomBytes(32).toString("base64"),
      GRPC_PORT: String(ports.grpc),
      HTTP_PORT: String(ports.http),
      JWKS_URL: `http://127.0.0.1:${ports.http}/.well-known/jwks.json`,
      LOG_LEVEL: "warn",
      REDIS_KEY_PREFIX: `bench:${database}:`,
    },
    ready: { url: `http://127.0.0.1:${ports.http}/ready` },
  } satisfies ProcessSpec;
}

/**
 * Milliseconds per argon2id hash at the service's parameters, one at a time (median of
 * HASH_SAMPLES after one warm-up hash), and notes recording it with the parameters.
 */
export async function measureHashCost(): Promise<string[]> {
  const hasher = await createPasswordHasher(OWASP_ARGON2ID);
  await hasher.hash(PASSWORD);
  const samples: number[] = [];
  for (let i = 0; i < HASH_SAMPLES; i++) {
    const started = performance.now();
    await hasher.hash(PASSWORD);
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)]!;
  const { memoryKib, iterations, parallelism } = OWASP_ARGON2ID;
  return [
    `password hash: argon2id m=${memoryKib} KiB (19 MiB), t=${iterations}, p=${parallelism} (@node-rs/argon2, libuv thread pool of 4)`,
    `cost per hash: ${median.toFixed(1)} ms median of ${HASH_SAMPLES} sequential hashes (min ${samples[0]!.toFixed(1)}, max ${samples.at(-1)!.toFixed(1)}), measured in the harness process before the run`,
  ];
}

const measured: string[] = [];

export default defineScenario({
  name: "user-login",
  description:
    "user-service Login over gRPC (argon2id verify, Redis throttle check, refresh-token session insert, EdDSA JWT) for 100 accounts.",
  ports: ["database", "grpc", "http"],
  processes: ({ ports }) => [databaseProcess(ports.database), userServiceProcess(ports)],
  async setup({ ports }) {
    measured.push(...(await measureHashCost()));
    const hasher = await createPasswordHasher(OWASP_ARGON2ID);
    const hash = await hasher.hash(PASSWORD);
    const emails = Array.from({ length: ACCOUNTS }, (_, i) => `bench-login-${i}@example.com`);
    await withClient(databaseUrl(userDatabaseName(ports.database)), (client) =>
      client.query(
        `INSERT INTO users (id, email, name, role, password_hash)
         SELECT unnest($1::uuid[]), unnest($2::text[]), 'Bench', 'customer', $3`,
        [emails.map(() => randomUUID()), emails, hash],
      ),
    );
    return {
      requests: emails.map((email) => LoginRequest.encode({ email, password: PASSWORD }).finish()),
    };
  },
  warmupMs: 2_000,
  durationMs: 10_000,
  concurrencies: [1, 4, 8, 64],
  // A getter: the measured hash cost is known only after setup, and notes are read
  // when the results are written.
  get notes() {
    return [
      `${ACCOUNTS} accounts seeded by SQL with one argon2id hash; each caller cycles through them`,
      "every login succeeds (no throttling triggered) and inserts a refresh-token session",
      ...measured,
    ];
  },
  variants: [
    {
      name: "login",
      load: (_c, { ports, setup }) => ({
        protocol: "grpc",
        target: `127.0.0.1:${ports.grpc}`,
        method: LOGIN,
        request: setup.requests,
      }),
    },
  ],
});

if (require.main === module) {
  const [flag, name, port] = process.argv.slice(2);
  if (flag !== "--hold-database" || !name || !port) {
    console.error("usage: user-login.ts --hold-database <name> <port>");
    process.exit(2);
  }
  holdDatabases([name], /^bench_users_\d+$/, Number(port)).catch((error: unknown) => {
    console.error("creating the bench database failed:", error);
    process.exit(1);
  });
}

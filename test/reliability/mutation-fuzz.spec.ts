/**
 * A seeded mutation fuzzer over every REST route of the gateway: a few thousand
 * requests derived from valid ones (CHAOS_SEED replays a run). No 5xx other than
 * 503/504, every error a JSON Status, no process down afterwards, no secret logged.
 */
import type { TestMesh } from "../support/test-mesh";
import { startFaultMesh } from "./support/fault-mesh";
import { fuzzSeeds } from "./support/fuzz-seeds";
import { createRandom, FUZZ_CARD_NUMBER } from "./support/fuzz-values";
import {
  type Account,
  call,
  idOf,
  productIds,
  register,
  unhealthyProcesses,
} from "./support/mesh-client";
import { type FuzzOutcome, fuzz } from "./support/mutation-fuzzer";
import { reliabilityProfile } from "./support/reliability-profile";
import { createSecretLedger, expectNoSecrets, type SecretLedger } from "./support/secret-scan";
import { createTokenForge } from "./support/token-forge";

jest.setTimeout(240_000);

const profile = reliabilityProfile();

describe("the mutation fuzzer over the gateway's routes", () => {
  let mesh: TestMesh;
  let secrets: SecretLedger;
  let alice: Account;
  let bob: Account;
  let admin: string;
  let product: string;
  let aliceOrder: string;

  beforeAll(async () => {
    mesh = await startFaultMesh({
      env: {
        "api-gateway": {
          RATE_LIMIT_ANONYMOUS: "off",
          RATE_LIMIT_AUTHENTICATED: "off",
          RATE_LIMIT_CREDENTIALS: "off",
        },
        // The fuzzer guesses passwords by the hundred; the lockout is another test's.
        "user-service": { LOGIN_ACCOUNT_MAX_FAILURES: "1000", LOGIN_IP_MAX_FAILURES: "100000" },
      },
    });
    secrets = createSecretLedger();
    secrets.add("card number", FUZZ_CARD_NUMBER);
    alice = await register(mesh, { secrets });
    bob = await register(mesh, { secrets });
    const forge = await createTokenForge(mesh);
    admin = await forge.sign(forge.claims("00000000-0000-4000-8000-000000000001", "admin"));
    secrets.add("admin token", admin);
    product = (await productIds(mesh, 1))[0]!;
    const ordered = await call(mesh.gatewayUrl, "POST", "/api/orders", {
      token: alice.accessToken,
      body: { productId: product, quantity: 1 },
    });
    aliceOrder = idOf(ordered, "order");
  });
  afterAll(() => mesh?.stop());

  const post = (path: string, body: unknown, token?: string) =>
    call(mesh.gatewayUrl, "POST", path, { body, ...(token ? { token } : {}) });

  describe("the mutation fuzzer", () => {
    let outcomes: FuzzOutcome[] = [];

    beforeAll(async () => {
      const random = createRandom(profile.fuzzSeed);
      const created = await post(
        "/api/products",
        {
          product: {
            sku: `FUZZ-${Date.now()}`,
            name: "Fuzz target",
            price: { currencyCode: "USD", amountMinor: "100" },
          },
          initialStock: 100,
        },
        admin,
      );
      const fuzzProduct = idOf(created, "product");
      const seeds = fuzzSeeds({ alice, bob, admin, product, fuzzProduct, aliceOrder });
      const started = Date.now();
      outcomes = await fuzz({
        baseUrl: mesh.gatewayUrl,
        seeds,
        tokens: [alice.accessToken, bob.accessToken, admin],
        random,
        count: profile.fuzzRequests,
        concurrency: 8,
      });
      const byStatus: Record<string, number> = {};
      for (const o of outcomes) byStatus[o.status] = (byStatus[o.status] ?? 0) + 1;
      const faults = outcomes.filter(serverFault);
      process.stdout.write(
        `[reliability] fuzzer: seed ${profile.fuzzSeed}, ${outcomes.length} requests in ${Date.now() - started} ms, by status ${JSON.stringify(byStatus)}; server faults ${faults.length}\n${faults
          .slice(0, 5)
          .map(
            (o) =>
              `  ${o.status} ${o.request} [${o.mutations.join(", ")}] -> ${o.text.slice(0, 120)}\n`,
          )
          .join("")}`,
      );
    });

    it("gets no 5xx other than 503/504 and no unanswered request", () => {
      const unexplained = outcomes.filter(serverFault);
      expect(unexplained.slice(0, 10)).toEqual([]);
    });

    it("answers every error with a JSON Status", () => {
      const bare = outcomes.filter((o) => o.status >= 400 && !o.jsonStatus);
      expect(bare.slice(0, 10)).toEqual([]);
    });

    it("leaves every process up: none crashed or restarted", async () => {
      expect(await unhealthyProcesses(mesh, 10_000)).toEqual([]);
      const exits = mesh
        .logs()
        .filter((l) => typeof l.raw === "string" && /was killed|exited with/.test(l.raw));
      expect(exits).toEqual([]);
    });
  });

  it("leaks no password, token, hash or card number into logs or spans", async () => {
    await expectNoSecrets(mesh, secrets);
  });
});

function serverFault(o: FuzzOutcome): boolean {
  return o.status <= 0 || (o.status >= 500 && o.status !== 503 && o.status !== 504);
}

/**
 * Concurrency as an attack: one Idempotency-Key sent many times at once, one order
 * cancelled many times at once, the last units of a product ordered by many at once,
 * one email registered many times at once. One effect each, stock never oversold.
 */
import type { TestMesh } from "../support/test-mesh";
import { startFaultMesh } from "./support/fault-mesh";
import { type Account, call, idOf, productIds, register } from "./support/mesh-client";
import { createSecretLedger, expectNoSecrets, type SecretLedger } from "./support/secret-scan";
import { sql } from "./support/sql";
import { createTokenForge } from "./support/token-forge";

jest.setTimeout(120_000);

describe("races", () => {
  let mesh: TestMesh;
  let secrets: SecretLedger;
  let alice: Account;
  let bob: Account;
  let admin: string;
  let product: string;

  beforeAll(async () => {
    mesh = await startFaultMesh({
      env: { "api-gateway": { RATE_LIMIT_ANONYMOUS: "off", RATE_LIMIT_CREDENTIALS: "off" } },
    });
    secrets = createSecretLedger();
    alice = await register(mesh, { secrets });
    bob = await register(mesh, { secrets });
    const forge = await createTokenForge(mesh);
    admin = await forge.sign(forge.claims("00000000-0000-4000-8000-000000000001", "admin"));
    secrets.add("admin token", admin);
    product = (await productIds(mesh, 1))[0]!;
  });
  afterAll(() => mesh?.stop());

  const post = (path: string, body: unknown, token?: string) =>
    call(mesh.gatewayUrl, "POST", path, { body, ...(token ? { token } : {}) });

  it("one Idempotency-Key sent 8 times at once makes one order", async () => {
    const key = `race-${Date.now()}`;
    const answers = await Promise.all(
      Array.from({ length: 8 }, () =>
        call(mesh.gatewayUrl, "POST", "/api/orders", {
          token: alice.accessToken,
          headers: { "idempotency-key": key },
          body: { productId: product, quantity: 1 },
        }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    expect(new Set(answers.map((a) => idOf(a, "order"))).size).toBe(1);
  });

  it("one key with different bodies at once: one order, the others 409 ABORTED", async () => {
    const key = `race-body-${Date.now()}`;
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        call(mesh.gatewayUrl, "POST", "/api/orders", {
          token: alice.accessToken,
          headers: { "idempotency-key": key },
          body: { productId: product, quantity: 1 + (i % 2) },
        }),
      ),
    );
    const ok = answers.filter((a) => a.status === 200);
    expect(new Set(ok.map((a) => idOf(a, "order"))).size).toBe(1);
    for (const a of answers.filter((x) => x.status !== 200))
      expect([a.status, a.json?.code]).toEqual([409, 10]);
  });

  it("a confirmed order cancelled 8 times at once is refunded and restocked once", async () => {
    const placed = await post(
      "/api/orders",
      { productId: product, quantity: 2 },
      alice.accessToken,
    );
    const id = idOf(placed, "order");
    const answers = await Promise.all(
      Array.from({ length: 8 }, () =>
        post(`/api/orders/${id}:cancel`, { reason: "race" }, alice.accessToken),
      ),
    );
    expect(answers.map((a) => [a.status, (a.json?.order as { status?: string })?.status])).toEqual(
      Array(8).fill([200, "ORDER_STATUS_CANCELLED"]),
    );
    const rows = await sql<{ reason: string; n: string }>(
      mesh.databases["product-service"]!.url,
      "SELECT reason, count(*)::text AS n FROM stock_ledger WHERE order_id = $1 GROUP BY reason ORDER BY reason",
      [id],
    );
    expect(rows).toEqual([
      { reason: "COMMITTED", n: "1" },
      { reason: "RESERVED", n: "1" },
      { reason: "RETURNED", n: "1" },
    ]);
  });

  it("20 orders at once for 5 units: exactly 5 confirmed, never oversold", async () => {
    const created = await post(
      "/api/products",
      {
        product: {
          sku: `SCARCE-${Date.now()}`,
          name: "Scarce",
          price: { currencyCode: "USD", amountMinor: "500" },
          active: true,
        },
        initialStock: 5,
      },
      admin,
    );
    const scarce = idOf(created, "product");
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        post(
          "/api/orders",
          { productId: scarce, quantity: 1 },
          i % 2 ? alice.accessToken : bob.accessToken,
        ),
      ),
    );
    const statuses = answers.map(
      (a) => (a.json?.order as { status?: string } | undefined)?.status ?? a.status,
    );
    expect(statuses.filter((s) => s === "ORDER_STATUS_CONFIRMED")).toHaveLength(5);
    expect(
      statuses
        .filter((s) => s !== "ORDER_STATUS_CONFIRMED")
        .every((s) => s === "ORDER_STATUS_CANCELLED"),
    ).toBe(true);
    const [stock] = await sql<{ available: number; reserved: number; sold: number }>(
      mesh.databases["product-service"]!.url,
      "SELECT available, reserved, sold FROM stock WHERE product_id = $1",
      [scarce],
    );
    expect(stock).toEqual({ available: 0, reserved: 0, sold: 5 });
  });

  it("one email registered 8 times at once: one account, the others 409", async () => {
    const email = `race-${Date.now()}@example.com`;
    const password = `Pw-race-${Date.now()}`;
    secrets.add("password", password);
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => post("/api/users/register", { email, password })),
    );
    for (const a of answers)
      secrets.add("token", a.json?.accessToken as string, a.json?.refreshToken as string);
    expect(answers.map((a) => a.status).sort()).toEqual([200, ...Array(7).fill(409)]);
  });

  it("leaks no password, token, hash or card number into logs or spans", async () => {
    await expectNoSecrets(mesh, secrets);
  });
});

/**
 * Hostile callers: forged and broken access tokens (all 401 at the gateway, and again
 * at the services), other users' ids on every route that takes one (nothing leaks),
 * internal RPCs from outside (not served, or refused by policy), and role escalation
 * through the request (ignored).
 */
import { randomUUID } from "node:crypto";
import { OrderServiceClient } from "@shop/gen/ts/shop/order/v1/order";
import { ProductServiceClient } from "@shop/gen/ts/shop/product/v1/product";
import { createTestClient } from "@shop/libs/testing";
import type { TestMesh } from "../support/test-mesh";
import { from } from "./support/client-ips";
import { startFaultMesh } from "./support/fault-mesh";
import { FORGED_TOKENS, now } from "./support/forged-tokens";
import { type Account, call, idOf, productIds, register } from "./support/mesh-client";
import { createSecretLedger, expectNoSecrets, type SecretLedger } from "./support/secret-scan";
import { createTokenForge, type TokenForge } from "./support/token-forge";

jest.setTimeout(120_000);

describe("hostile callers", () => {
  let mesh: TestMesh;
  let forge: TokenForge;
  let secrets: SecretLedger;
  let alice: Account;
  let bob: Account;
  let product: string;

  beforeAll(async () => {
    mesh = await startFaultMesh({ env: { "api-gateway": { TRUST_PROXY_HOPS: "1" } } });
    secrets = createSecretLedger();
    alice = await register(mesh, { secrets });
    bob = await register(mesh, { secrets });
    forge = await createTokenForge(mesh);
    product = (await productIds(mesh, 1))[0]!;
  });
  afterAll(() => mesh?.stop());

  describe("access tokens", () => {
    const routes: [string, string][] = [
      ["GET", "/api/users/me"],
      ["GET", "/api/orders"],
      ["GET", "/api/products"],
    ];

    it("the forge's well-formed token is accepted (the cases below fail for their flaw)", async () => {
      const token = await forge.sign(forge.claims(alice.id));
      secrets.add("forged token", token);
      const answer = await call(mesh.gatewayUrl, "GET", "/api/users/me", { token });
      expect(answer.status).toBe(200);
      expect(answer.json).toMatchObject({ user: { id: alice.id } });
    });

    it.each(FORGED_TOKENS)("%s: 401 with a JSON Status on every route", async (_name, make) => {
      const token = await make(forge, alice.id);
      secrets.add("forged token", token);
      for (const [method, path] of routes) {
        const answer = await call(mesh.gatewayUrl, method, path, { token, headers: from() });
        expect([path, answer.status, answer.json?.code]).toEqual([path, 401, 16]);
        expect(answer.headers.get("www-authenticate")).toMatch(/^Bearer realm="shop"/);
      }
    });

    it.each(FORGED_TOKENS)(
      "%s: refused again by order-service itself (defence in depth)",
      async (_name, make) => {
        const token = await make(forge, alice.id);
        const client = await createTestClient(OrderServiceClient, {
          port: mesh.ports["order-service"].grpc,
          upstream: "order-service",
        });
        try {
          const user = {
            userId: alice.id,
            role: "customer" as const,
            token,
            expiresAt: now() + 300,
          };
          await expect(
            client.listOrders({ pageSize: 1, pageToken: "", userId: "" }, { ctx: { user } }),
          ).rejects.toMatchObject({ code: 16 });
        } finally {
          client.close();
        }
      },
    );

    it("a token too large for the HTTP layer is refused before the gateway reads it", async () => {
      const token = await forge.sign({ ...forge.claims(alice.id), pad: "x".repeat(64 * 1024) });
      const answer = await call(mesh.gatewayUrl, "GET", "/api/users/me", { token });
      // Node's 16 KiB header limit: 431, with no body to speak of; never a 200 or a 5xx.
      expect(answer.status).toBe(431);
    });
  });

  describe("other users' ids (IDOR)", () => {
    let aliceOrder: string;

    beforeAll(async () => {
      const answer = await call(mesh.gatewayUrl, "POST", "/api/orders", {
        token: alice.accessToken,
        body: { productId: product, quantity: 1 },
      });
      expect(answer.status).toBe(200);
      aliceOrder = idOf(answer, "order");
    });

    it.each([
      ["GET", "/api/orders/{id}"],
      ["POST", "/api/orders/{id}:cancel"],
      ["GET", "/api/orders/{id}:watch"],
      ["GET", "/api/orders/{id}/details"],
    ])(
      "%s %s with another customer's order: 404, nothing of it in the answer",
      async (method, template) => {
        const path = template.replace("{id}", aliceOrder);
        const answer = await call(mesh.gatewayUrl, method, path, {
          token: bob.accessToken,
          ...(method === "POST" ? { body: { reason: "mine now" } } : {}),
        });
        expect(answer.status).toBe(404);
        expect(answer.text).not.toContain(alice.id);
        expect(answer.text).not.toContain(product);
        expect(answer.json?.order).toBeUndefined();
      },
    );

    it("404 for another's order is the same answer as for an order that does not exist", async () => {
      const other = await call(mesh.gatewayUrl, "GET", `/api/orders/${aliceOrder}`, {
        token: bob.accessToken,
      });
      const missing = await call(mesh.gatewayUrl, "GET", `/api/orders/${randomUUID()}`, {
        token: bob.accessToken,
      });
      expect(other.status).toBe(missing.status);
      expect(strip(other.text, aliceOrder)).toBe(strip(missing.text, /[0-9a-f-]{36}/g));
    });

    it("listing another user's orders is refused; the caller's own list holds none of them", async () => {
      const refused = await call(mesh.gatewayUrl, "GET", `/api/orders?userId=${alice.id}`, {
        token: bob.accessToken,
      });
      expect(refused.status).toBe(403);
      expect(refused.text).not.toContain(aliceOrder);
      const own = await call(mesh.gatewayUrl, "GET", "/api/orders", { token: bob.accessToken });
      expect(own.status).toBe(200);
      expect(own.text).not.toContain(aliceOrder);
    });

    it("another user's page token pages through the caller's own orders only", async () => {
      const aliceList = await call(mesh.gatewayUrl, "GET", "/api/orders?pageSize=1", {
        token: alice.accessToken,
      });
      const pageToken = String(aliceList.json?.nextPageToken ?? "");
      const answer = await call(
        mesh.gatewayUrl,
        "GET",
        `/api/orders?pageToken=${encodeURIComponent(pageToken)}`,
        { token: bob.accessToken },
      );
      expect([200, 400]).toContain(answer.status);
      expect(answer.text).not.toContain(aliceOrder);
    });

    it("alice's order is untouched by bob's attempts", async () => {
      const answer = await call(mesh.gatewayUrl, "GET", `/api/orders/${aliceOrder}`, {
        token: alice.accessToken,
      });
      expect(answer.json?.order).toMatchObject({
        id: aliceOrder,
        status: "ORDER_STATUS_CONFIRMED",
      });
    });

    it.each([
      [
        "POST",
        "/api/products",
        { product: { sku: "X-1", name: "x", price: { currencyCode: "USD", amountMinor: "1" } } },
      ],
      ["PATCH", "/api/products/{pid}", { name: "pwned" }],
      ["DELETE", "/api/products/{pid}", undefined],
      ["POST", "/api/products/{pid}:adjustStock", { delta: 1000 }],
    ])("admin route %s %s with a customer's token: 403", async (method, template, body) => {
      const answer = await call(mesh.gatewayUrl, method, template.replace("{pid}", product), {
        token: bob.accessToken,
        ...(body ? { body } : {}),
      });
      expect([answer.status, answer.json?.code]).toEqual([403, 7]);
    });
  });

  describe("internal RPCs", () => {
    it.each([
      "/shop.product.v1.ProductService/ReserveStock",
      "/shop.product.v1.ProductService/ReturnStock",
      "/shop.user.v1.UserService/GetUser",
    ])("%s is not served by the gateway", async (path) => {
      const answer = await call(mesh.gatewayUrl, "POST", path, {
        token: alice.accessToken,
        body: { orderId: "x", userId: alice.id },
      });
      expect(answer.status).toBe(404);
    });

    it("product-service refuses ReserveStock from a caller its policy does not name", async () => {
      const client = await createTestClient(ProductServiceClient, {
        port: mesh.ports["product-service"].grpc,
        upstream: "product-service",
        as: "api-gateway",
      });
      try {
        await expect(
          client.reserveStock({
            orderId: `idor-${randomUUID()}`,
            items: [{ productId: product, quantity: 1 }],
          }),
        ).rejects.toMatchObject({ code: 7 });
      } finally {
        client.close();
      }
    });
  });

  describe("role escalation through the request", () => {
    it.each([
      ["a role field", { role: "ROLE_ADMIN" }],
      ["a nested user", { user: { role: "ROLE_ADMIN" } }],
      ["a role claim", { role: "admin", isAdmin: true }],
    ])("register with %s: a customer, or refused", async (_name, extra) => {
      const email = `esc-${randomUUID().slice(0, 8)}@example.com`;
      const password = `Pw-${randomUUID()}`;
      secrets.add("password", password);
      const answer = await call(mesh.gatewayUrl, "POST", "/api/users/register?role=ROLE_ADMIN", {
        body: { email, password, ...extra },
        headers: { ...from(), "grpc-metadata-x-user-role": "admin", "grpc-metadata-role": "admin" },
      });
      if (answer.status === 200) {
        secrets.add("token", String(answer.json?.accessToken), String(answer.json?.refreshToken));
        expect(answer.json?.user).toMatchObject({ role: "ROLE_CUSTOMER" });
        const claims = JSON.parse(
          Buffer.from(String(answer.json?.accessToken).split(".")[1]!, "base64url").toString(),
        );
        expect(claims.role).toBe("customer");
      } else {
        expect([answer.status, answer.json?.code]).toEqual([400, 3]);
      }
    });

    it("a customer's order body cannot name another user", async () => {
      const answer = await call(mesh.gatewayUrl, "POST", "/api/orders", {
        token: bob.accessToken,
        body: { productId: product, quantity: 1, userId: alice.id },
      });
      if (answer.status === 200) expect(answer.json?.order).toMatchObject({ userId: bob.id });
      else expect(answer.status).toBe(400);
    });
  });

  it("leaks no password, token, hash or card number into logs or spans", async () => {
    await expectNoSecrets(mesh, secrets);
  });
});

function strip(text: string, id: string | RegExp): string {
  return text.replaceAll(id, "<id>");
}

/**
 * The seed's Quick Start, verbatim, against the whole mesh started as `npm run dev`
 * starts it: health of every process, register, list products, order with the token.
 */
import { randomUUID } from "node:crypto";
import { startTestMesh, type TestMesh } from "../support/test-mesh";

jest.setTimeout(120_000);

describe("the seed's Quick Start", () => {
  let mesh: TestMesh;
  beforeAll(async () => {
    mesh = await startTestMesh();
  });
  afterAll(() => mesh?.stop());

  it("answers /health on the gateway and every service", async () => {
    for (const [name, { http }] of Object.entries(mesh.ports)) {
      const response = await fetch(`http://127.0.0.1:${http}/health`);
      expect([name, response.status]).toEqual([name, 200]);
      expect(await response.json()).toMatchObject({ status: "ok", service: name });
    }
  });

  it("registers, lists products and places an order that ends CONFIRMED", async () => {
    const email = `test-${randomUUID().slice(0, 8)}@example.com`;
    const registered = await fetch(`${mesh.gatewayUrl}/api/users/register`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email, password: "secure123" }),
    });
    expect(registered.status).toBe(200);
    const { accessToken, user } = (await registered.json()) as {
      accessToken: string;
      user: { email: string };
    };
    expect(user.email).toBe(email);

    const listed = await fetch(`${mesh.gatewayUrl}/api/products`);
    expect(listed.status).toBe(200);
    const { products } = (await listed.json()) as {
      products: { id: string; availableStock: number }[];
    };
    expect(products.length).toBeGreaterThan(0);

    const ordered = await fetch(`${mesh.gatewayUrl}/api/orders`, {
      method: "POST",
      headers: { Authorization: `Bearer ${accessToken}`, "Content-Type": "application/json" },
      body: JSON.stringify({ productId: products[0]!.id, quantity: 2 }),
    });
    expect(ordered.status).toBe(200);
    const { order } = (await ordered.json()) as {
      order: { status: string; items: { quantity: number }[] };
    };
    expect(order.status).toBe("ORDER_STATUS_CONFIRMED");
    expect(order.items[0]!.quantity).toBe(2);
  });
});

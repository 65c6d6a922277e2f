/**
 * The fuzzer's valid requests, one or more per route of the gateway's REST API: what
 * its mutations start from.
 */
import type { Account } from "./mesh-client";
import type { FuzzSeed } from "./mutation-fuzzer";

export interface SeedFixtures {
  alice: Account;
  bob: Account;
  /** An admin's access token. */
  admin: string;
  /** A catalog product to order and read. */
  product: string;
  /** A product of the fuzzer's own, to patch, restock and delete. */
  fuzzProduct: string;
  /** One of alice's orders. */
  aliceOrder: string;
}

export function fuzzSeeds(f: SeedFixtures): FuzzSeed[] {
  const { alice, bob, admin, product, fuzzProduct, aliceOrder } = f;
  return [
    {
      method: "POST",
      template: "/api/users/register",
      body: { email: "fuzz@example.com", password: "Pw-fuzz-12345", name: "Fuzz" },
    },
    {
      method: "POST",
      template: "/api/users/login",
      body: { email: alice.email, password: "wrong-password-1" },
    },
    {
      method: "POST",
      template: "/api/users/token:refresh",
      body: { refreshToken: "not-a-real-refresh-token" },
    },
    { method: "GET", template: "/api/users/me", token: alice.accessToken },
    { method: "GET", template: "/api/users/me/export", token: alice.accessToken },
    {
      method: "POST",
      template: "/api/users/me:delete",
      body: { password: "wrong-password-1" },
      token: bob.accessToken,
    },
    {
      method: "GET",
      template: "/api/products",
      query: [
        ["pageSize", "5"],
        ["query", "wireless"],
        ["filter.category", "electronics"],
        ["filter.minPriceMinor", "100"],
      ],
    },
    { method: "GET", template: "/api/products/{product_id}", params: { product_id: product } },
    {
      method: "POST",
      template: "/api/products",
      token: admin,
      body: {
        product: {
          sku: "FZ-SEED",
          name: "Seed",
          price: { currencyCode: "USD", amountMinor: "100" },
          tags: ["a"],
        },
        initialStock: 5,
      },
    },
    {
      method: "PATCH",
      template: "/api/products/{product.id}",
      params: { "product.id": fuzzProduct },
      query: [["expectedVersion", "1"]],
      token: admin,
      body: { name: "Renamed", price: { currencyCode: "USD", amountMinor: "200" } },
    },
    {
      method: "DELETE",
      template: "/api/products/{product_id}",
      params: { product_id: fuzzProduct },
      token: admin,
    },
    {
      method: "POST",
      template: "/api/products/{product_id}:adjustStock",
      params: { product_id: fuzzProduct },
      token: admin,
      body: { delta: 1, reason: "fuzz" },
    },
    {
      method: "POST",
      template: "/api/orders",
      token: bob.accessToken,
      body: { productId: product, quantity: 1, paymentToken: "tok_approve" },
    },
    {
      method: "POST",
      template: "/api/orders",
      token: bob.accessToken,
      body: { items: [{ productId: product, quantity: 1 }] },
    },
    {
      method: "GET",
      template: "/api/orders",
      token: alice.accessToken,
      query: [["pageSize", "2"]],
    },
    {
      method: "GET",
      template: "/api/orders/{order_id}",
      params: { order_id: aliceOrder },
      token: alice.accessToken,
    },
    {
      method: "POST",
      template: "/api/orders/{order_id}:cancel",
      params: { order_id: aliceOrder },
      token: bob.accessToken,
      body: { reason: "fuzz" },
    },
    {
      method: "GET",
      template: "/api/orders/{order_id}:watch",
      params: { order_id: aliceOrder },
      token: alice.accessToken,
    },
    {
      method: "GET",
      template: "/api/orders/{order_id}/details",
      params: { order_id: aliceOrder },
      token: alice.accessToken,
    },
  ];
}

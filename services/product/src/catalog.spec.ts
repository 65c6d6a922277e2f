import { randomUUID } from "node:crypto";
import { EventEnvelope, ProductChanged } from "@shop/gen/ts/shop/events/v1/events";
import { Code } from "@shop/libs/errors";
import {
  createProduct,
  newProduct,
  type ProductTestContext,
  rejectionOf,
  startTestProductService,
} from "../test/product-test-service";

describe("catalog", () => {
  let t: ProductTestContext;
  beforeAll(async () => {
    t = await startTestProductService();
  });
  afterAll(() => t.stop());

  async function productEvents(productId: string): Promise<ProductChanged[]> {
    const { rows } = await t.pool.query<{ envelope: Buffer }>(
      "SELECT envelope FROM outbox WHERE type = 'shop.events.v1.ProductChanged' ORDER BY id",
    );
    return rows
      .map((r) => EventEnvelope.decode(r.envelope))
      .filter((e) => e.aggregateId === productId)
      .map((e) => ProductChanged.decode(e.payload!.value));
  }

  it("creates a product with its stock, readable by anyone, and publishes ProductChanged", async () => {
    const created = await createProduct(t, { name: "Blue Mug", tags: ["kitchen", "blue"] }, 7);
    expect(created).toMatchObject({
      name: "Blue Mug",
      version: 1n,
      availableStock: 7,
      active: true,
    });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.createTime).toBeInstanceOf(Date);
    expect(created.price).toEqual({ currencyCode: "EUR", amountMinor: 1250n });

    const { product } = await t.gateway.getProduct({ productId: created.id });
    expect(product).toEqual(created);
    // Upper-case ids name the same product.
    const upper = await t.gateway.getProduct({ productId: created.id.toUpperCase() });
    expect(upper.product?.id).toBe(created.id);

    const events = await productEvents(created.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 1, version: 1n, product: { name: "Blue Mug" } });
    const ledger = await t.pool.query(
      "SELECT reason, available_delta, note FROM stock_ledger WHERE product_id = $1",
      [created.id],
    );
    expect(ledger.rows).toEqual([
      { reason: "ADJUSTED", available_delta: 7, note: "initial stock" },
    ]);
  });

  it("rejects invalid products, naming every bad field", async () => {
    const error = await rejectionOf(
      t.gateway.createProduct(
        {
          product: newProduct({
            sku: "bad sku!",
            name: "   ",
            description: "x".repeat(5001),
            price: { currencyCode: "eur", amountMinor: -1n },
            imageUrl: "ftp://images.example.com/p.jpg",
            category: "c".repeat(101),
            tags: ["ok", "", "ok", "t".repeat(51)],
          }),
          initialStock: -1,
        },
        t.admin(),
      ),
    );
    expect(error.code).toBe(Code.INVALID_ARGUMENT);
    expect(error.fieldViolations.map((v) => v.field).sort()).toEqual(
      [
        "initial_stock",
        "product.sku",
        "product.name",
        "product.description",
        "product.price.currency_code",
        "product.price.amount_minor",
        "product.image_url",
        "product.category",
        "product.tags[1]",
        "product.tags[2]",
        "product.tags[3]",
      ].sort(),
    );
    const missing = await rejectionOf(
      t.gateway.createProduct(
        { product: newProduct({ price: undefined, imageUrl: "not a url" }), initialStock: 0 },
        t.admin(),
      ),
    );
    expect(missing.fieldViolations.map((v) => v.field).sort()).toEqual([
      "product.image_url",
      "product.price",
    ]);
    const none = await rejectionOf(
      t.gateway.createProduct({ product: undefined, initialStock: 0 }, t.admin()),
    );
    expect(none.fieldViolations.map((v) => v.field)).toEqual(["product"]);
  });

  it("keeps skus unique among live products", async () => {
    const first = await createProduct(t);
    const taken = await rejectionOf(createProduct(t, { sku: first.sku }));
    expect(taken.code).toBe(Code.ALREADY_EXISTS);
    expect(taken.reason).toBe("SKU_TAKEN");
    await t.gateway.deleteProduct({ productId: first.id }, t.admin());
    const again = await createProduct(t, { sku: first.sku });
    expect(again.id).not.toBe(first.id);
  });

  it("updates the masked fields only, and rejects a stale version with ABORTED", async () => {
    const created = await createProduct(t, { name: "Old name", description: "Old text" });
    const { product } = await t.gateway.updateProduct(
      {
        product: { ...created, name: "New name", description: "ignored", imageUrl: "" },
        updateMask: ["name", "image_url", "price"],
        expectedVersion: 1n,
      },
      t.admin(),
    );
    expect(product).toMatchObject({
      name: "New name",
      description: "Old text",
      imageUrl: "",
      version: 2n,
      availableStock: 10,
    });
    expect(product!.updateTime!.getTime()).toBeGreaterThanOrEqual(created.updateTime!.getTime());

    const stale = await rejectionOf(
      t.gateway.updateProduct(
        { product: { ...created, name: "Lost update" }, updateMask: ["name"], expectedVersion: 1n },
        t.admin(),
      ),
    );
    expect(stale.code).toBe(Code.ABORTED);
    expect(stale.reason).toBe("VERSION_MISMATCH");
    expect((await t.gateway.getProduct({ productId: created.id })).product?.name).toBe("New name");
    expect(await productEvents(created.id)).toHaveLength(2);
  });

  it("validates updates: target, mask, version and the masked fields", async () => {
    const created = await createProduct(t);
    const bad = await rejectionOf(
      t.gateway.updateProduct(
        {
          product: { ...created, id: "nope", sku: "" },
          updateMask: ["sku", "version"],
          expectedVersion: 0n,
        },
        t.admin(),
      ),
    );
    expect(bad.code).toBe(Code.INVALID_ARGUMENT);
    expect(bad.fieldViolations.map((v) => v.field).sort()).toEqual([
      "expected_version",
      "product.id",
      "update_mask.paths[1]",
    ]);
    const fields = await rejectionOf(
      t.gateway.updateProduct(
        {
          product: { ...created, sku: "", price: { currencyCode: "EURO", amountMinor: 1n } },
          updateMask: ["sku", "price", "tags"],
          expectedVersion: 1n,
        },
        t.admin(),
      ),
    );
    expect(fields.fieldViolations.map((v) => v.field).sort()).toEqual([
      "product.price.currency_code",
      "product.sku",
    ]);
    const noMask = await rejectionOf(
      t.gateway.updateProduct({ product: created, updateMask: [], expectedVersion: 1n }, t.admin()),
    );
    expect(noMask.fieldViolations.map((v) => v.field)).toEqual(["update_mask"]);
    const unknown = await rejectionOf(
      t.gateway.updateProduct(
        { product: { ...created, id: randomUUID() }, updateMask: ["name"], expectedVersion: 1n },
        t.admin(),
      ),
    );
    expect(unknown.code).toBe(Code.NOT_FOUND);
    const other = await createProduct(t);
    const taken = await rejectionOf(
      t.gateway.updateProduct(
        { product: { ...created, sku: other.sku }, updateMask: ["sku"], expectedVersion: 1n },
        t.admin(),
      ),
    );
    expect(taken.code).toBe(Code.ALREADY_EXISTS);
  });

  it("never serves a stale product after a write (cache invalidated on commit)", async () => {
    const created = await createProduct(t, { name: "v1" });
    let version = created.version;
    for (let i = 2; i <= 6; i++) {
      // Read (and cache) the current state, then write, then read again.
      await t.gateway.getProduct({ productId: created.id });
      const { product } = await t.gateway.updateProduct(
        { product: { ...created, name: `v${i}` }, updateMask: ["name"], expectedVersion: version },
        t.admin(),
      );
      version = product!.version;
      const read = await t.gateway.getProduct({ productId: created.id });
      expect(read.product).toMatchObject({ name: `v${i}`, version });
    }
    await t.gateway.adjustStock({ productId: created.id, delta: 5, reason: "delivery" }, t.admin());
    expect((await t.gateway.getProduct({ productId: created.id })).product?.availableStock).toBe(
      15,
    );
  });

  it("lets only admins write: a customer is denied, an anonymous caller unauthenticated", async () => {
    const created = await createProduct(t);
    const attempts = (options: object) => [
      t.gateway.createProduct({ product: newProduct(), initialStock: 1 }, options),
      t.gateway.updateProduct(
        { product: { ...created, name: "hacked" }, updateMask: ["name"], expectedVersion: 1n },
        options,
      ),
      t.gateway.deleteProduct({ productId: created.id }, options),
      t.gateway.adjustStock({ productId: created.id, delta: 100, reason: "" }, options),
    ];
    for (const attempt of attempts(t.customer())) {
      expect((await rejectionOf(attempt)).code).toBe(Code.PERMISSION_DENIED);
    }
    for (const attempt of attempts({})) {
      expect((await rejectionOf(attempt)).code).toBe(Code.UNAUTHENTICATED);
    }
    const { product } = await t.gateway.getProduct({ productId: created.id }, t.customer());
    expect(product).toMatchObject({ name: created.name, version: 1n, availableStock: 10 });
  });

  it("soft-deletes idempotently: gone for readers, NOT_FOUND for unknown ids", async () => {
    const created = await createProduct(t);
    await t.gateway.deleteProduct({ productId: created.id }, t.admin());
    await t.gateway.deleteProduct({ productId: created.id }, t.admin());
    expect((await rejectionOf(t.gateway.getProduct({ productId: created.id }))).code).toBe(
      Code.NOT_FOUND,
    );
    const events = await productEvents(created.id);
    expect(events.map((e) => [e.kind, e.version, e.product?.version])).toEqual([
      [1, 1n, 1n],
      [3, 2n, 1n],
    ]);
    const unknown = await rejectionOf(
      t.gateway.deleteProduct({ productId: randomUUID() }, t.admin()),
    );
    expect(unknown.code).toBe(Code.NOT_FOUND);
    const bad = await rejectionOf(t.gateway.getProduct({ productId: "42" }));
    expect(bad.code).toBe(Code.INVALID_ARGUMENT);
    expect(bad.fieldViolations).toEqual([{ field: "product_id", description: "must be a UUID" }]);
  });

  it("adjusts stock through the ledger and refuses to go below zero", async () => {
    const created = await createProduct(t, {}, 3);
    const { product } = await t.gateway.adjustStock(
      { productId: created.id, delta: -2, reason: "damaged in storage" },
      t.admin(),
    );
    expect(product?.availableStock).toBe(1);
    const short = await rejectionOf(
      t.gateway.adjustStock({ productId: created.id, delta: -2, reason: "" }, t.admin()),
    );
    expect(short.code).toBe(Code.FAILED_PRECONDITION);
    expect(short.preconditionViolations[0]).toMatchObject({ type: "STOCK", subject: created.id });
    const invalid = await rejectionOf(
      t.gateway.adjustStock(
        { productId: created.id, delta: 0, reason: "r".repeat(201) },
        t.admin(),
      ),
    );
    expect(invalid.fieldViolations.map((v) => v.field)).toEqual(["delta", "reason"]);
    const huge = await rejectionOf(
      t.gateway.adjustStock({ productId: created.id, delta: 2 ** 31 - 1, reason: "" }, t.admin()),
    );
    expect(huge.fieldViolations.map((v) => v.field)).toEqual(["delta"]);
    const unknown = await rejectionOf(
      t.gateway.adjustStock({ productId: randomUUID(), delta: 1, reason: "" }, t.admin()),
    );
    expect(unknown.code).toBe(Code.NOT_FOUND);
    const ledger = await t.pool.query(
      `SELECT reason, available_delta, available, note FROM stock_ledger
        WHERE product_id = $1 ORDER BY id`,
      [created.id],
    );
    expect(ledger.rows).toEqual([
      { reason: "ADJUSTED", available_delta: 3, available: 3, note: "initial stock" },
      { reason: "ADJUSTED", available_delta: -2, available: 1, note: "damaged in storage" },
    ]);
  });

  it("keeps inactive products readable by id but out of the listing", async () => {
    const hidden = await createProduct(t, { active: false, category: "hidden-category" });
    expect((await t.gateway.getProduct({ productId: hidden.id })).product?.active).toBe(false);
    const listed = await t.gateway.listProducts({
      pageSize: 100,
      pageToken: "",
      query: "",
      filter: { category: "hidden-category", inStock: false, tags: [] },
    });
    expect(listed.products).toEqual([]);
  });
});

import type { ListProductsRequest, Product } from "@shop/gen/ts/shop/product/v1/product";
import { Code } from "@shop/libs/errors";
import {
  createProduct,
  type ProductTestContext,
  rejectionOf,
  startTestProductService,
} from "../test/product-test-service";

const listRequest = (overrides: Partial<ListProductsRequest> = {}): ListProductsRequest => ({
  pageSize: 0,
  pageToken: "",
  query: "",
  filter: undefined,
  ...overrides,
});

describe("ListProducts", () => {
  let t: ProductTestContext;
  beforeAll(async () => {
    t = await startTestProductService();
  });
  afterAll(() => t.stop());

  /** Every page of `request`, running `between` after each page. */
  async function allPages(
    request: ListProductsRequest,
    between: (page: number) => Promise<void> = async () => undefined,
  ): Promise<Product[][]> {
    const pages: Product[][] = [];
    let pageToken = "";
    do {
      const response = await t.gateway.listProducts({ ...request, pageToken });
      pages.push(response.products);
      pageToken = response.nextPageToken;
      await between(pages.length);
    } while (pageToken !== "");
    return pages;
  }

  it("pages newest first without skipping or repeating while products are inserted", async () => {
    const category = "paging-newest";
    const original: string[] = [];
    for (let i = 0; i < 23; i++) original.push((await createProduct(t, { category })).id);
    const inserted: string[] = [];
    const pages = await allPages(
      listRequest({ pageSize: 5, filter: { category, inStock: false, tags: [] } }),
      async () => {
        for (let i = 0; i < 2; i++) inserted.push((await createProduct(t, { category })).id);
      },
    );
    expect(pages.map((p) => p.length)).toEqual([5, 5, 5, 5, 3]);
    const seen = pages.flat().map((p) => p.id);
    expect(new Set(seen).size).toBe(seen.length);
    // Newest first: exactly the products that existed when paging began, in reverse order.
    expect(seen).toEqual([...original].reverse());
    // The first page of a fresh listing shows the inserted ones first.
    const first = await t.gateway.listProducts(
      listRequest({ pageSize: 3, filter: { category, inStock: false, tags: [] } }),
    );
    expect(first.products.map((p) => p.id)).toEqual(inserted.slice(-3).reverse());
  });

  it("ranks search results and pages them stably while matching products are inserted", async () => {
    const category = "paging-search";
    // Name matches (weight A) rank above description matches (weight B).
    const inName = await createProduct(t, {
      category,
      name: "Granite kettle",
      description: "Boils water.",
    });
    const inText: string[] = [];
    for (let i = 0; i < 12; i++) {
      const product = await createProduct(t, {
        category,
        name: `Pot ${i}`,
        description: `A pot that sits beside the granite kettle number ${i}.`,
      });
      inText.push(product.id);
    }
    await createProduct(t, { category, name: "Unrelated", description: "Nothing to see" });
    const request = listRequest({
      pageSize: 4,
      query: "granite kettles",
      filter: { category, inStock: false, tags: [] },
    });
    const pages = await allPages(request, async () => {
      await createProduct(t, { category, name: "Granite kettle deluxe", description: "" });
      await createProduct(t, { category, name: "Pot", description: "granite kettle too" });
    });
    const seen = pages.flat().map((p) => p.id);
    expect(seen[0]).toBe(inName.id);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of [inName.id, ...inText]) expect(seen.filter((s) => s === id)).toHaveLength(1);
    // No query, no match: an empty page and no token.
    const none = await t.gateway.listProducts({ ...request, query: "zebra" });
    expect(none).toEqual({ products: [], nextPageToken: "" });
  });

  it("pages a one-word search in ts_rank order, after renames and deletions", async () => {
    const category = "paging-one-word";
    const make = (name: string, description: string) =>
      createProduct(t, { category, name, description });
    const both = await make("Teapot", "A teapot for two, for teapot lovers.");
    await make("Blue teapot", "Pours well.");
    // Equal ranks: the id breaks the tie.
    for (let i = 0; i < 6; i++) await make(`Cup ${i}`, `Goes with the teapot number ${i}.`);
    const renamed = await make("Kettle", "Boils water.");
    const renamedAway = await make("Teapot stand", "Holds a pot.");
    const deleted = await make("Teapot lid", "A spare part.");
    await make("Unrelated", "Nothing to see.");
    const rename = (product: Product, name: string) =>
      t.gateway.updateProduct(
        { product: { ...product, name }, updateMask: ["name"], expectedVersion: 1n },
        t.admin(),
      );
    await rename(renamed, "Teapot kettle");
    await rename(renamedAway, "Pot stand");
    await t.gateway.deleteProduct({ productId: deleted.id }, t.admin());
    // The order ts_rank gives over the products themselves, as a query of several words
    // is ranked: a one-word query must page through the same order.
    const { rows } = await t.pool.query<{ id: string }>(
      `SELECT p.id FROM products p, websearch_to_tsquery('english', 'teapots') AS q
        WHERE p.category = $1 AND p.search @@ q AND p.active AND p.deleted_at IS NULL
        ORDER BY ts_rank(p.search, q) DESC, p.id DESC`,
      [category],
    );
    const expected = rows.map((r) => r.id);
    expect(expected).toHaveLength(9);
    expect(expected[0]).toBe(both.id);
    expect(expected).toContain(renamed.id);
    const pages = await allPages(
      listRequest({
        pageSize: 2,
        query: "teapots",
        filter: { category, inStock: false, tags: [] },
      }),
      // Inserted between pages, ranked above the cursor: never shown in this paging.
      async () => void (await make("Teapot deluxe", "A teapot.")),
    );
    expect(pages.flat().map((p) => p.id)).toEqual(expected);
  });

  it("filters by category, price range, stock and tags", async () => {
    const category = "filtering";
    const cheap = await createProduct(t, {
      category,
      price: { currencyCode: "EUR", amountMinor: 500n },
      tags: ["red", "round"],
    });
    const pricey = await createProduct(t, {
      category,
      price: { currencyCode: "EUR", amountMinor: 5000n },
      tags: ["red"],
    });
    const soldOut = await createProduct(
      t,
      { category, price: { currencyCode: "EUR", amountMinor: 1000n }, tags: ["round"] },
      0,
    );
    const ids = async (filter: object) =>
      (
        await t.gateway.listProducts(
          listRequest({ filter: { category, inStock: false, tags: [], ...filter } }),
        )
      ).products.map((p) => p.id);
    expect(await ids({})).toEqual([soldOut.id, pricey.id, cheap.id]);
    expect(await ids({ minPriceMinor: 1000n })).toEqual([soldOut.id, pricey.id]);
    expect(await ids({ maxPriceMinor: 1000n })).toEqual([soldOut.id, cheap.id]);
    expect(await ids({ minPriceMinor: 600n, maxPriceMinor: 4999n })).toEqual([soldOut.id]);
    expect(await ids({ inStock: true })).toEqual([pricey.id, cheap.id]);
    expect(await ids({ tags: ["round", "red"] })).toEqual([cheap.id]);
    expect(await ids({ tags: ["red"] })).toEqual([pricey.id, cheap.id]);
    const stock = (
      await t.gateway.listProducts(listRequest({ filter: { category, inStock: false, tags: [] } }))
    ).products.map((p) => p.availableStock);
    expect(stock).toEqual([0, 10, 10]);
  });

  it("defaults the page size to 20 and caps it at 100", async () => {
    for (let i = 0; i < 21; i++) await createProduct(t, { category: "sizes" });
    const filter = { category: "sizes", inStock: false, tags: [] };
    const page = await t.gateway.listProducts(listRequest({ filter }));
    expect(page.products).toHaveLength(20);
    expect(page.nextPageToken).not.toBe("");
    const next = await t.gateway.listProducts(
      listRequest({ filter, pageSize: 100, pageToken: page.nextPageToken }),
    );
    expect(next.products).toHaveLength(1);
    expect(next.nextPageToken).toBe("");
    for (const pageSize of [-1, 101]) {
      const error = await rejectionOf(t.gateway.listProducts(listRequest({ pageSize })));
      expect(error.code).toBe(Code.INVALID_ARGUMENT);
      expect(error.fieldViolations.map((v) => v.field)).toEqual(["page_size"]);
    }
  });

  it("rejects garbage, tampered and foreign page tokens with INVALID_ARGUMENT", async () => {
    for (let i = 0; i < 3; i++) await createProduct(t, { category: "tokens" });
    const filter = { category: "tokens", inStock: false, tags: [] };
    const { nextPageToken } = await t.gateway.listProducts(listRequest({ pageSize: 1, filter }));
    const body = JSON.parse(Buffer.from(nextPageToken, "base64url").toString());
    const tampered = (change: object) =>
      Buffer.from(JSON.stringify({ ...body, ...change })).toString("base64url");
    const bad = [
      "garbage!",
      "x".repeat(600),
      Buffer.from("not json").toString("base64url"),
      Buffer.from("[1,2]").toString("base64url"),
      tampered({ v: 2 }),
      tampered({ k: "yesterday" }),
      tampered({ i: "1; DROP TABLE products" }),
      tampered({ s: "r", k: "0.5" }),
      tampered({ extra: 1 }),
    ];
    for (const pageToken of bad) {
      const error = await rejectionOf(t.gateway.listProducts(listRequest({ pageToken, filter })));
      expect(error.code).toBe(Code.INVALID_ARGUMENT);
      expect(error.fieldViolations.map((v) => v.field)).toEqual(["page_token"]);
    }
    // A token continues only the listing it came from.
    const foreign = await rejectionOf(
      t.gateway.listProducts(listRequest({ pageToken: nextPageToken, query: "mug", filter })),
    );
    expect(foreign.fieldViolations[0]?.field).toBe("page_token");
  });

  it("validates the query and the filter", async () => {
    const error = await rejectionOf(
      t.gateway.listProducts(
        listRequest({
          query: "q".repeat(201),
          filter: {
            category: "c".repeat(101),
            minPriceMinor: 10n,
            maxPriceMinor: 5n,
            inStock: false,
            tags: ["a", "a"],
          },
        }),
      ),
    );
    expect(error.fieldViolations.map((v) => v.field).sort()).toEqual([
      "filter.category",
      "filter.max_price_minor",
      "filter.tags[1]",
      "query",
    ]);
    const negative = await rejectionOf(
      t.gateway.listProducts(
        listRequest({
          filter: {
            category: "",
            minPriceMinor: -1n,
            maxPriceMinor: -1n,
            inStock: false,
            tags: [],
          },
        }),
      ),
    );
    expect(negative.fieldViolations.map((v) => v.field).sort()).toEqual([
      "filter.max_price_minor",
      "filter.min_price_minor",
    ]);
  });

  it("serves a fresh first page after every write (list cache invalidated)", async () => {
    const filter = { category: "list-cache", inStock: true, tags: [] };
    const ids = async () =>
      (await t.gateway.listProducts(listRequest({ filter }))).products.map((p) => p.id);
    expect(await ids()).toEqual([]);
    const a = await createProduct(t, { category: "list-cache" }, 1);
    expect(await ids()).toEqual([a.id]);
    expect(await ids()).toEqual([a.id]);
    const b = await createProduct(t, { category: "list-cache" }, 1);
    expect(await ids()).toEqual([b.id, a.id]);
    await t.gateway.adjustStock({ productId: a.id, delta: -1, reason: "" }, t.admin());
    expect(await ids()).toEqual([b.id]);
    await t.gateway.updateProduct(
      { product: { ...b, active: false }, updateMask: ["active"], expectedVersion: b.version },
      t.admin(),
    );
    expect(await ids()).toEqual([]);
  });
});

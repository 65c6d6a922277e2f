import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createFixtureRepo, type FixtureRepo, positionOf } from "../../test/fixture-repo";
import { rpcFacts } from "../contracts/rpc-facts";
import { findRpcCalls, stripComments } from "./rpc-calls";

describe("finding the RPCs a service calls in its code", () => {
  let repo: FixtureRepo | undefined;
  afterEach(() => repo?.remove());
  const calls = (code: Record<string, string>) => {
    repo = createFixtureRepo(code);
    return findRpcCalls(repo.root, "services/order", rpcFacts()).map((c) => ({
      at: `${c.file}:${c.line}`,
      rpc: c.rpc.fullName,
    }));
  };
  const lineOf = (path: string, needle: string) => positionOf(repo!.read(path), needle).line;

  it("finds calls through a client held in a field, and methods picked by name", () => {
    const found = calls({
      "services/order/src/product-adapter.ts": "order-product-adapter.ts.txt",
    });
    const file = "services/order/src/product-adapter.ts";
    expect(found).toEqual(
      [
        [lineOf(file, '"getProduct"'), "GetProduct"],
        [lineOf(file, "reserveStock"), "ReserveStock"],
        [lineOf(file, "releaseStock"), "ReleaseStock"],
        [lineOf(file, "commitStock"), "CommitStock"],
        [lineOf(file, "returnStock"), "ReturnStock"],
      ]
        .sort((a, b) => Number(a[0]) - Number(b[0]))
        .map(([line, rpc]) => ({
          at: `${file}:${line}`,
          rpc: `shop.product.v1.ProductService/${rpc}`,
        })),
    );
  });

  it("follows a client built in main.ts into a saga that never names its type", () => {
    const found = calls({
      "services/order/src/main.ts": "order-main.ts.txt",
      "services/order/src/order-deps.ts": "order-deps.ts.txt",
      "services/order/src/order-saga.ts": "order-saga.ts.txt",
    });
    expect(found.map((c) => c.rpc)).toEqual([
      "shop.product.v1.ProductService/GetProduct",
      "shop.product.v1.ProductService/ReserveStock",
    ]);
    expect(found[1]!.at).toBe(
      `services/order/src/order-saga.ts:${lineOf("services/order/src/order-saga.ts", "deps.products.reserveStock")}`,
    );
  });

  it("follows a client typed by its service definition through a type alias", () => {
    const found = calls({
      "services/order/src/product-inventory.ts": "order-typed-inventory.ts.txt",
    });
    expect(found.map((c) => c.rpc)).toEqual([
      "shop.product.v1.ProductService/ReserveStock",
      "shop.product.v1.ProductService/ReleaseStock",
    ]);
  });

  it("ignores tests and comments", () => {
    const found = calls({
      "services/order/src/order-saga.spec.ts": "order-saga.spec.ts.txt",
      "services/order/src/product-adapter.ts": "order-product-adapter.ts.txt",
    });
    expect(found.map((c) => c.rpc)).not.toContain("shop.user.v1.UserService/DeleteMe");
    expect(found.map((c) => c.rpc)).not.toContain("shop.product.v1.ProductService/DeleteProduct");
    expect(found.map((c) => c.rpc)).not.toContain("shop.product.v1.ProductService/AdjustStock");
  });

  it("finds nothing in a service without code", () => {
    expect(calls({})).toEqual([]);
  });
});

describe("stripComments", () => {
  it("blanks comments, keeps strings that contain comment markers, and keeps lines", () => {
    const text = 'const a = "x//y"; // gone\n/* gone\n */ const b = `/*kept*/`;';
    const stripped = stripComments(text);
    expect(stripped).toContain('"x//y"');
    expect(stripped).toContain("`/*kept*/`");
    expect(stripped).not.toContain("gone");
    expect(stripped.split("\n")).toHaveLength(3);
  });

  it("leaves the fixture's string with // intact", () => {
    const text = readFileSync(
      join(__dirname, "../../test/fixtures/code/order-product-adapter.ts.txt"),
      "utf8",
    );
    expect(stripComments(text)).toContain("https://example.test//not-a-comment");
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { findBoundaryViolations } from "./import-boundaries";

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "boundaries-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe("findBoundaryViolations", () => {
  const roots: string[] = [];
  afterAll(() => {
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  });
  const check = (files: Record<string, string>) => {
    const root = tree(files);
    roots.push(root);
    return findBoundaryViolations(root);
  };

  it("allows libs, gen, npm packages and the service's own files", () => {
    expect(
      check({
        "services/order/src/main.ts": [
          'import { createServer } from "@shop/libs/grpc";',
          'import { OrderServiceService } from "@shop/gen/ts/shop/order/v1/order";',
          'import { Pool } from "pg";',
          'import { saga } from "./order-saga";',
          'import { x } from "../../../libs/src/x";',
        ].join("\n"),
      }),
    ).toEqual([]);
  });

  it("reports a relative import of another service's files with file and line", () => {
    const found = check({
      "services/order/src/product-client.ts":
        'const a = 1;\nimport { db } from "../../product/src/db";\n',
    });
    expect(found).toEqual([
      {
        file: "services/order/src/product-client.ts",
        line: 2,
        specifier: "../../product/src/db",
        message: expect.stringContaining("services/order must not import services/product"),
      },
    ]);
  });

  it("reports package, require and dynamic imports of another unit", () => {
    const found = check({
      "gateway/src/a.ts": 'export * from "@shop/user-service";\n',
      "services/user/src/b.ts": 'const g = require("@shop/api-gateway/x");\n',
      "libs/src/c.ts": 'const o = await import("../../services/order/src/saga");\n',
    });
    expect(found.map((v) => `${v.file}:${v.specifier}`).sort()).toEqual([
      "gateway/src/a.ts:@shop/user-service",
      "libs/src/c.ts:../../services/order/src/saga",
      "services/user/src/b.ts:@shop/api-gateway/x",
    ]);
  });
});

describe("findBoundaryViolations and test code", () => {
  it("lets tests start the real neighbour they integrate with", () => {
    const root = mkdtempSync(join(tmpdir(), "boundaries-tests-"));
    for (const [path, text] of Object.entries({
      "services/order/src/saga.spec.ts":
        'import { startProductService } from "@shop/product-service";\n',
      "services/order/test/harness.ts":
        'import { startProductService } from "@shop/product-service";\n',
      "services/order/src/saga.ts":
        'import { startProductService } from "@shop/product-service";\n',
    })) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    expect(findBoundaryViolations(root).map((v) => v.file)).toEqual(["services/order/src/saga.ts"]);
    rmSync(root, { recursive: true, force: true });
  });
});

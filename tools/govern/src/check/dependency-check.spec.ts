import { createFixtureRepo, type FixtureRepo, positionOf } from "../../test/fixture-repo";
import { loadPolicySet } from "../policy/load";
import { dependencyReport } from "./dependency-check";

const ORDER = "services/order/.repo/policy.yaml";
const PRODUCT = "services/product/.repo/policy.yaml";
const ADAPTER = "services/order/src/product-adapter.ts";

describe("declared dependencies against code and allowed callers", () => {
  let repo: FixtureRepo;
  afterEach(() => repo.remove());
  const report = () => {
    const loaded = loadPolicySet(repo.root);
    if (!loaded.ok) throw new Error(loaded.findings.map((f) => f.message).join("\n"));
    return dependencyReport(loaded.set);
  };
  const at = (file: string, needle: string, skip = 0) => {
    const { line, column } = positionOf(repo.read(file), needle);
    return { file, line, column: column + skip };
  };

  it("holds for code that calls exactly what order-service declares", () => {
    repo = createFixtureRepo({ [ADAPTER]: "order-product-adapter.ts.txt" });
    expect(report()).toEqual({
      findings: [],
      withoutCode: ["product-service", "user-service", "api-gateway"],
    });
  });

  it("does not compare services that have no code yet", () => {
    repo = createFixtureRepo();
    expect(report().findings).toEqual([]);
  });

  it("reports an undeclared call at the call site", () => {
    repo = createFixtureRepo({
      [ADAPTER]: "order-product-adapter.ts.txt",
      "services/order/src/user-lookup.ts": "order-user-lookup.ts.txt",
    });
    expect(report().findings).toEqual([
      {
        ...at("services/order/src/user-lookup.ts", "users.getUser"),
        message: `order-service calls user-service GetUser but ${ORDER} does not declare it`,
      },
    ]);
  });

  it("reports a declared RPC the code never calls", () => {
    repo = createFixtureRepo({ [ADAPTER]: "order-product-adapter.ts.txt" });
    repo.replace(ADAPTER, "this.client.returnStock.bind", "this.client.releaseStock.bind");
    expect(report().findings).toEqual([
      {
        ...at(ORDER, "ReturnStock]"),
        message: "order-service declares product-service ReturnStock but its code never calls it",
      },
    ]);
  });

  it("reports a dependency missing from the callee's allowed callers", () => {
    repo = createFixtureRepo({ [ADAPTER]: "order-product-adapter.ts.txt" });
    repo.replace(
      PRODUCT,
      "ReturnStock:\n    callers: [order-service]",
      "ReturnStock:\n    callers: []",
    );
    expect(report().findings).toEqual([
      {
        ...at(ORDER, "ReturnStock]"),
        message: `product-service does not allow order-service to call ReturnStock: add it to rpcs.ReturnStock.callers in ${PRODUCT}`,
      },
    ]);
  });

  it("reports an allowed caller that does not declare the call (least privilege)", () => {
    repo = createFixtureRepo({ [ADAPTER]: "order-product-adapter.ts.txt" });
    repo.replace(
      PRODUCT,
      "ListProducts:\n    callers: [api-gateway]",
      "ListProducts:\n    callers: [api-gateway, order-service]",
    );
    expect(report().findings).toEqual([
      {
        ...at(PRODUCT, "api-gateway, order-service]", "api-gateway, ".length),
        message: expect.stringMatching(
          /allows order-service to call ListProducts, but order-service does not declare it/,
        ),
      },
    ]);
  });
});

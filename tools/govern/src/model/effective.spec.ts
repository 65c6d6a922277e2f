import { createFixtureRepo, type FixtureRepo } from "../../test/fixture-repo";
import { loadEffective } from "./load-effective";

describe("the effective policy", () => {
  let repo: FixtureRepo;
  beforeAll(() => {
    repo = createFixtureRepo();
  });
  afterAll(() => repo.remove());

  const effective = () => {
    const result = loadEffective(repo.root);
    if (!result.ok) throw new Error(result.findings.map((f) => f.message).join("\n"));
    return result.repo;
  };
  const service = (name: string) => effective().services.find((s) => s.name === name)!;
  const rpc = (svc: string, name: string) => service(svc).rpcs.find((r) => r.fact.name === name)!;

  it("takes the most specific value: RPC entry, then the service, then the mesh default", () => {
    expect(rpc("order-service", "CreateOrder").timeoutMs).toBe(10_000);
    expect(rpc("order-service", "GetOrder").timeoutMs).toBe(3_000);
    expect(service("order-service").retries.attempts).toBe(2);
    expect(service("order-service").origins.get("timeout")).toMatch(
      /^services\/order\/.repo\/policy.yaml:\d+:\d+ \(service policy\)$/,
    );
    expect(service("order-service").origins.get("retries.attempts")).toMatch(
      /^.repo\/repo.manifest.yaml:\d+:\d+ \(mesh default\)$/,
    );
  });

  it("never retries an RPC the contract does not call idempotent", () => {
    const createProduct = rpc("product-service", "CreateProduct");
    expect(createProduct.retries.attempts).toBe(0);
    expect(service("product-service").origins.get("rpcs.CreateProduct.retries.attempts")).toMatch(
      /no idempotency_level and no idempotency key/,
    );
    expect(rpc("product-service", "ReserveStock").retries.attempts).toBe(2);
  });

  it("retries CreateOrder because it is keyed, and gives a stream no route timeout", () => {
    expect(rpc("order-service", "CreateOrder")).toMatchObject({
      idempotencyKey: true,
      retries: { attempts: 1 },
    });
    expect(rpc("order-service", "WatchOrder").timeoutMs).toBe(0);
  });

  it("resolves the gateway's generic dependency to every non-internal RPC", () => {
    const product = service("api-gateway").dependencies.services.find(
      (d) => d.service === "product-service",
    )!;
    expect(product.generic).toBe(true);
    expect(product.rpcs).toEqual([
      "AdjustStock",
      "CreateProduct",
      "DeleteProduct",
      "GetProduct",
      "ListProducts",
      "UpdateProduct",
    ]);
  });

  it("names each fault's switch", () => {
    expect(service("product-service").faults.map((f) => [f.name, f.env, f.rpc.fullName])).toEqual([
      ["get-product-slow", "FAULT_GET_PRODUCT_SLOW", "shop.product.v1.ProductService/GetProduct"],
      [
        "reserve-stock-unavailable",
        "FAULT_RESERVE_STOCK_UNAVAILABLE",
        "shop.product.v1.ProductService/ReserveStock",
      ],
    ]);
  });
});

import { runtimeConfigSchema } from "@shop/libs/runtime-config";
import { parseAllDocuments } from "yaml";
import { createFixtureRepo, type FixtureRepo } from "../../test/fixture-repo";
import { loadEffective } from "../model/load-effective";
import type { RenderedFile } from "./output";
import { renderAll } from "./render-all";

describe("govern render on the fixture policies", () => {
  let repo: FixtureRepo;
  let files: RenderedFile[];
  beforeAll(async () => {
    repo = createFixtureRepo();
    const result = loadEffective(repo.root);
    if (!result.ok) throw new Error("fixture does not validate");
    files = await renderAll(result.repo);
  });
  afterAll(() => repo.remove());
  const file = (path: string) => files.find((f) => f.path === path)!;
  const docs = (path: string) => parseAllDocuments(file(path).content).map((d) => d.toJS());

  it("matches the stored snapshot", () => {
    expect(Object.fromEntries(files.map((f) => [f.path, f.content]))).toMatchSnapshot();
  });

  it("is deterministic", async () => {
    const again = loadEffective(repo.root);
    expect(again.ok && (await renderAll(again.repo))).toEqual(files);
  });

  it("heads every YAML file with the policies it came from", () => {
    for (const f of files.filter((x) => x.path.endsWith(".yaml")))
      expect(f.content).toMatch(
        /^# Rendered by govern from .*policy\.yaml|^# Rendered by govern from \.repo\/repo\.manifest\.yaml/,
      );
    expect(file("istio/order-service/virtual-service.yaml").content).toContain(
      "services/order/.repo/policy.yaml",
    );
  });

  it("renders runtime configs the libs schema accepts", () => {
    const configs = files.filter((f) => /^\.repo\/generated\/[a-z-]+\.json$/.test(f.path));
    expect(configs.map((f) => f.path)).toHaveLength(4);
    for (const f of configs)
      expect(() => runtimeConfigSchema.parse(JSON.parse(f.content))).not.toThrow();
    const order = runtimeConfigSchema.parse(
      JSON.parse(file(".repo/generated/order-service.json").content),
    );
    expect(Object.keys(order.upstreams)).toEqual(["product-service"]);
    const product = runtimeConfigSchema.parse(
      JSON.parse(file(".repo/generated/product-service.json").content),
    );
    expect(product.allowedCallers["shop.product.v1.ProductService/ReserveStock"]).toEqual([
      "order-service",
    ]);
    expect(product.faults["reserve-stock-unavailable"]).toMatchObject({
      kind: "error",
      code: "UNAVAILABLE",
    });
  });

  it("splits canary traffic by weight over subsets that exist", () => {
    const [vs] = docs("istio/order-service/virtual-service.yaml");
    const [dr] = docs("istio/order-service/destination-rule.yaml");
    const defaultRoute = vs.spec.http.at(-1);
    expect(
      defaultRoute.route.map((r: { destination: { subset: string }; weight: number }) => [
        r.destination.subset,
        r.weight,
      ]),
    ).toEqual([
      ["v1", 80],
      ["v2", 20],
    ]);
    expect(dr.spec.subsets.map((s: { name: string }) => s.name)).toEqual(["v1", "v2"]);
  });

  it("disables retries on non-idempotent RPCs with attempts: 0 alone", () => {
    const [vs] = docs("istio/product-service/virtual-service.yaml");
    const create = vs.spec.http.find((r: { name: string }) => r.name === "create-product");
    expect(create.retries).toEqual({ attempts: 0 });
    expect(create.match).toEqual([
      { uri: { exact: "/shop.product.v1.ProductService/CreateProduct" } },
    ]);
  });

  it("allows each caller exactly its RPC paths, and every JWKS fetcher the JWKS", () => {
    const [policy] = docs("istio/user-service/authorization-policy.yaml");
    const jwks = policy.spec.rules.at(-1);
    expect(jwks.to[0].operation).toEqual({
      ports: ["8001"],
      methods: ["GET"],
      paths: ["/.well-known/jwks.json"],
    });
    expect(jwks.from[0].source.principals).toEqual(
      ["api-gateway", "order-service", "product-service", "user-service"].map(
        (s) => `cluster.local/ns/shop/sa/${s}`,
      ),
    );
  });

  it("limits egress to declared dependencies", () => {
    const [sidecar] = docs("istio/order-service/sidecar.yaml");
    expect(sidecar.spec.egress[0].hosts).toEqual([
      "observability/otel-collector.observability.svc.cluster.local",
      "shop/postgres.shop.svc.cluster.local",
      "shop/product-service.shop.svc.cluster.local",
      "shop/redis.shop.svc.cluster.local",
      "shop/user-service.shop.svc.cluster.local", // the JWKS
    ]);
    const [gateway] = docs("istio/api-gateway/sidecar.yaml");
    expect(gateway.spec.egress[0].hosts).not.toContain("shop/postgres.shop.svc.cluster.local");
    expect(sidecar.spec.outboundTrafficPolicy).toEqual({ mode: "REGISTRY_ONLY" });
  });

  it("lets only the stores' users in, and runs stores and migrations without a sidecar", () => {
    const [pg] = docs("deploy/generated/data-stores/postgres-network-policy.yaml");
    expect(pg.spec.ingress[0].from[0].podSelector.matchExpressions[0].values).toEqual([
      "order-service",
      "product-service",
      "user-service",
    ]);
    const [kustomization] = docs("deploy/generated/kustomization.yaml");
    const targets = kustomization.patches.map((p: { target: object }) => p.target);
    expect(targets).toContainEqual({ kind: "StatefulSet|Deployment", name: "postgres|redis" });
    expect(targets).toContainEqual({
      kind: "Job",
      labelSelector: "app.kubernetes.io/component=migration",
    });
  });

  it("sizes containers from the budgets, tightened where the service did", () => {
    const [product] = docs("deploy/generated/product-service/deployment-v1.patch.yaml");
    const [order] = docs("deploy/generated/order-service/deployment-v2.patch.yaml");
    expect(product.spec.template.spec.containers[0].resources).toEqual({
      requests: { cpu: "500m", memory: "256Mi" },
      limits: { memory: "256Mi" },
    });
    expect(order.metadata.name).toBe("order-service-canary");
    expect(order.spec.template.metadata.labels.version).toBe("v2");
  });
});

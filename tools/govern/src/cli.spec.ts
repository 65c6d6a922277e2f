import { existsSync } from "node:fs";
import { join } from "node:path";
import { createFixtureRepo, type FixtureRepo } from "../test/fixture-repo";
import { runCli } from "./cli";

describe("the govern CLI", () => {
  let repo: FixtureRepo;
  let out: string[];
  let err: string[];
  beforeEach(() => {
    repo = createFixtureRepo();
    out = [];
    err = [];
  });
  afterEach(() => repo.remove());
  const govern = (...args: string[]) =>
    runCli([...args, "--root", repo.root], { out: (l) => out.push(l), err: (l) => err.push(l) });

  it("prints usage and exits 2 for an unknown command", async () => {
    expect(await govern("frobnicate")).toBe(2);
    expect(err.join("\n")).toMatch(
      /usage: govern <command>[\s\S]*govern canary <service> <weight>/,
    );
  });

  it("validates, printing file:line:column for each error", async () => {
    expect(await govern("validate")).toBe(0);
    repo.replace("services/order/.repo/policy.yaml", "weight: 20", "weight: 25");
    expect(await govern("validate")).toBe(1);
    expect(err[0]).toMatch(
      /^services\/order\/.repo\/policy.yaml:\d+:3: version weights add up to 105, not 100$/,
    );
  });

  it("explains a service's effective policy with origins", async () => {
    expect(await govern("explain", "order-service")).toBe(0);
    const text = out.join("\n");
    expect(text).toMatch(
      /rpcs.CreateOrder.timeout: 10s\s+# services\/order\/.repo\/policy.yaml:\d+:\d+ \(RPC entry\)/,
    );
    expect(text).toMatch(
      /retries.attempts: 2\s+# .repo\/repo.manifest.yaml:\d+:\d+ \(mesh default\)/,
    );
    expect(await govern("explain", "billing-service")).toBe(1);
  });

  it("renders, then checks clean; a hand edit is drift", async () => {
    expect(await govern("schema")).toBe(0);
    expect(await govern("render")).toBe(0);
    expect(existsSync(join(repo.root, "istio/mesh/deny-all.yaml"))).toBe(true);
    expect(await govern("check")).toBe(0);
    repo.replace("istio/mesh/peer-authentication.yaml", "STRICT", "PERMISSIVE");
    expect(await govern("check")).toBe(1);
    expect(err.join("\n")).toMatch(
      /istio\/mesh\/peer-authentication.yaml:\d+:1: differs from a fresh render/,
    );
  });

  it("check reports a cross-service import and an undeclared dependency in fixture code", async () => {
    repo = createFixtureRepo({
      "services/order/src/product-adapter.ts": "order-product-adapter.ts.txt",
      "services/order/src/user-lookup.ts": "order-user-lookup.ts.txt",
    });
    await govern("schema");
    await govern("render");
    expect(await govern("check")).toBe(1);
    const text = err.join("\n");
    expect(text).toMatch(
      /services\/order\/src\/user-lookup.ts:4:1: services\/order must not import services\/user/,
    );
    expect(text).toMatch(
      /services\/order\/src\/user-lookup.ts:9:\d+: order-service calls user-service GetUser/,
    );
    expect(await govern("check", "imports")).toBe(1);
  });

  it("moves canary weight, re-renders, and rolls back", async () => {
    await govern("render");
    expect(await govern("canary", "order-service", "50")).toBe(0);
    expect(repo.read("services/order/.repo/policy.yaml")).toContain(
      "- name: v1 # stable\n    weight: 50",
    );
    expect(repo.read("istio/order-service/virtual-service.yaml")).toMatch(
      /subset: v2\n\s+weight: 50/,
    );
    expect(out).toContain("changed istio/order-service/virtual-service.yaml");
    expect(await govern("rollback", "order-service")).toBe(0);
    expect(repo.read("istio/order-service/virtual-service.yaml")).not.toContain("subset: v2");
    expect(
      existsSync(join(repo.root, "deploy/generated/order-service/deployment-v2.patch.yaml")),
    ).toBe(false);
    expect(await govern("promote", "order-service")).toBe(1);
    expect(err.join("\n")).toMatch(/no canary to promote/);
  });

  it("leaves a policy untouched when the edit would not validate", async () => {
    const before = repo.read("services/user/.repo/policy.yaml");
    expect(await govern("canary", "user-service", "10", "--version", "V2!")).toBe(1);
    expect(repo.read("services/user/.repo/policy.yaml")).toBe(before);
  });

  it("writes the graph and embeds it in a README between markers", async () => {
    repo.write(
      "README.md",
      "# Shop\n\n<!-- govern:graph -->\nold\n<!-- /govern:graph -->\n\nmore\n",
    );
    expect(await govern("graph")).toBe(0);
    const readme = repo.read("README.md");
    expect(readme).toMatch(
      /<!-- govern:graph -->\n\n```mermaid\nflowchart LR\n[\s\S]*```\n\n!\[Service graph\]\(.repo\/generated\/graph.svg\)\n<!-- \/govern:graph -->\n\nmore\n$/,
    );
    expect(readme).toContain(
      'order_service -->|"CommitStock, GetProduct, ReleaseStock +2 · mTLS"| product_service',
    );
    expect(repo.read(".repo/generated/graph.svg")).toMatch(
      /^<\?xml[\s\S]*<!-- Rendered by govern from[\s\S]*<svg/,
    );
  });
});

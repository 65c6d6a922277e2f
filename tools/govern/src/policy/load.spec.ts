import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createFixtureRepo, type FixtureRepo, positionOf } from "../../test/fixture-repo";
import { loadPolicySet } from "./load";
import { policySchemaText } from "./schema";
import type { Finding } from "./yaml-source";

const ORDER = "services/order/.repo/policy.yaml";
const PRODUCT = "services/product/.repo/policy.yaml";
const USER = "services/user/.repo/policy.yaml";
const MANIFEST = ".repo/repo.manifest.yaml";

describe("govern validate on fixture policies", () => {
  let repo: FixtureRepo;
  beforeEach(() => {
    repo = createFixtureRepo();
  });
  afterEach(() => repo.remove());

  /** Applies one edit and returns the findings. */
  const findingsAfter = (file: string, from: string, to: string): Finding[] => {
    repo.replace(file, from, to);
    const result = loadPolicySet(repo.root);
    if (result.ok) throw new Error("expected the edit to be refused");
    return result.findings;
  };

  /**
   * The finding must sit exactly at `needle` (its first occurrence after the edit),
   * `skip` characters in: a needle carries context, the finding points at the value.
   */
  const expectAt = (
    findings: Finding[],
    file: string,
    needle: string,
    message: RegExp,
    skip = 0,
  ) => {
    const { line, column } = positionOf(repo.read(file), needle);
    const expected = { file, line, column: column + skip, message: expect.stringMatching(message) };
    expect(findings).toContainEqual(expected);
  };

  it("accepts the fixture policies", () => {
    const result = loadPolicySet(repo.root);
    expect(result.ok && result.set.policies.map((p) => p.data.service)).toEqual([
      "order-service",
      "product-service",
      "user-service",
      "api-gateway",
    ]);
  });

  it("reports an unknown key at the key, naming the allowed ones", () => {
    const findings = findingsAfter(
      ORDER,
      "resilience:\n  timeout: 3s",
      "resilience:\n  timeout: 3s\n  retrys: 2",
    );
    expectAt(
      findings,
      ORDER,
      "retrys",
      /resilience: unknown key "retrys" \(allowed: timeout, retries/,
    );
    expect(findings).toHaveLength(1);
  });

  it("reports a duration that does not parse", () => {
    const findings = findingsAfter(
      ORDER,
      "resilience:\n  timeout: 3s",
      "resilience:\n  timeout: 3 seconds",
    );
    expectAt(findings, ORDER, "3 seconds", /resilience\.timeout: "3 seconds" is not a duration/);
  });

  it("reports a YAML syntax error with its position", () => {
    const findings = findingsAfter(USER, "owner: team-identity", "owner: [team-identity");
    expect(findings[0]).toMatchObject({ file: USER, message: expect.any(String) });
  });

  it("enforces the floors: mTLS, maximum timeout, retry attempts, ejection, sampling", () => {
    const findings = findingsAfter(
      USER,
      "resilience:\n  timeout: 2s",
      [
        "mesh:",
        "  mtls: PERMISSIVE",
        "  egress: ALLOW_ANY",
        "  tracing:",
        "    samplePercent: 0.5",
        "resilience:",
        "  timeout: 45s",
        "  retries:",
        "    attempts: 5",
        "  outlierDetection:",
        "    consecutive5xxErrors: 500",
      ].join("\n"),
    );
    expectAt(findings, USER, "PERMISSIVE", /mtls PERMISSIVE loosens the floor mtls: STRICT/);
    expectAt(
      findings,
      USER,
      "ALLOW_ANY",
      /egress ALLOW_ANY loosens the floor egress: REGISTRY_ONLY/,
    );
    expectAt(findings, USER, "0.5", /loosens the floor minTracingSamplePercent: 1/);
    expectAt(findings, USER, "45s", /timeout 45s loosens the floor maxTimeout: 30s/);
    expectAt(findings, USER, "attempts: 5", /5 retry attempts loosen the floor/, 10);
    expectAt(findings, USER, "500", /loosens the floor maxConsecutive5xxErrors: 20/);
  });

  it("allows a service to tighten a floor", () => {
    repo.replace(
      USER,
      "resilience:\n  timeout: 2s",
      "mesh:\n  mtls: STRICT\nresilience:\n  timeout: 1s",
    );
    expect(loadPolicySet(repo.root).ok).toBe(true);
  });

  it("refuses retries on CreateOrder without its idempotency key", () => {
    const findings = findingsAfter(ORDER, "    idempotencyKey: required\n", "");
    const message = /CreateOrder is not idempotent .* unless idempotencyKey: required/;
    expectAt(findings, ORDER, "attempts: 1", message, 10);
  });

  it("reports a caller that does not exist", () => {
    const findings = findingsAfter(
      PRODUCT,
      "ReserveStock:\n    callers: [order-service]",
      "ReserveStock:\n    callers: [order-service, billing-service]",
    );
    expectAt(findings, PRODUCT, "billing-service", /caller "billing-service" does not exist/);
  });

  it("keeps the gateway away from INTERNAL RPCs", () => {
    const findings = findingsAfter(
      PRODUCT,
      "ReleaseStock:\n    callers: [order-service]",
      "ReleaseStock:\n    callers: [order-service, api-gateway]",
    );
    const message = /ReleaseStock is INTERNAL: the api-gateway must never reach it/;
    expectAt(findings, PRODUCT, "order-service, api-gateway]", message, 15);
  });

  it("reports version weights that do not add up to 100", () => {
    const findings = findingsAfter(ORDER, "weight: 20", "weight: 30");
    expectAt(findings, ORDER, "- name: v1", /version weights add up to 110, not 100/);
  });

  it("reports an unknown RPC entry and a served RPC without one", () => {
    const findings = findingsAfter(ORDER, "  GetOrder:\n", "  GetOrders:\n");
    expectAt(findings, ORDER, "GetOrders", /order-service serves no RPC "GetOrders"/);
    expectAt(findings, ORDER, "rpcs:\n  CreateOrder", /GetOrder has no entry in rpcs/);
  });

  it("requires an owner", () => {
    const findings = findingsAfter(USER, "owner: team-identity\n", "");
    expectAt(findings, USER, "user-service\n", /user-service has no owner/);
  });

  it("keeps a database to its owner", () => {
    const findings = findingsAfter(
      ORDER,
      "  postgres: orders\n  redis",
      "  postgres: users\n  redis",
    );
    expectAt(findings, ORDER, "postgres: users", /a database is reached only by its owner/, 10);
  });

  it("refuses a loosened budget, and a gate turned into a target", () => {
    const findings = findingsAfter(PRODUCT, "    maxMb: 256", "    mode: target\n    maxMb: 1024");
    expectAt(findings, PRODUCT, "1024", /memory may be tightened, never loosened \(shared: 512\)/);
    expectAt(findings, PRODUCT, "target", /memory is a gate: an override cannot make it a target/);
  });

  it("requires a reason for a scenario's looser budget", () => {
    const text = repo.read(MANIFEST);
    const reason = text.indexOf("        reason: >-", text.indexOf("register:"));
    const end = text.indexOf("      latencyP95High:", reason);
    repo.write(MANIFEST, text.slice(0, reason) + text.slice(end));
    const result = loadPolicySet(repo.root);
    expect(result.ok).toBe(false);
    if (!result.ok)
      expectAt(result.findings, MANIFEST, "latencyP95:\n        passwordHashes", /give the reason/);
  });

  it("caches only public read-only RPCs at the edge, and limits only reachable ones", () => {
    const GATEWAY = "gateway/.repo/policy.yaml";
    repo.replace(
      GATEWAY,
      "shop.product.v1.ProductService/GetProduct:\n      ttl",
      "shop.order.v1.OrderService/CreateOrder:\n      ttl",
    );
    repo.replace(
      GATEWAY,
      "- shop.user.v1.UserService/Register",
      "- shop.user.v1.UserService/GetUser",
    );
    const result = loadPolicySet(repo.root);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expectAt(
      result.findings,
      GATEWAY,
      "shop.order.v1.OrderService/CreateOrder",
      /has side effects: only NO_SIDE_EFFECTS RPCs are cached/,
    );
    expectAt(
      result.findings,
      GATEWAY,
      "shop.user.v1.UserService/GetUser",
      /is INTERNAL: not reachable at the edge/,
    );
  });

  it("keeps each policy in its service's folder, and the edge to the gateway", () => {
    const findings = findingsAfter(USER, "service: user-service", "service: product-service");
    expectAt(
      findings,
      USER,
      "product-service",
      /product-service's policy belongs in services\/product\/.repo\/policy.yaml/,
    );
    expectAt(findings, USER, "product-service", /a second policy for product-service/);
  });

  it("names events that exist", () => {
    const findings = findingsAfter(ORDER, "events: [UserDeleted]", "events: [UserRemoved]");
    expectAt(findings, ORDER, "UserRemoved", /no event "UserRemoved" in shop.events.v1/);
  });
});

describe("the committed policy schema", () => {
  it("is what govern validates with (govern schema wrote it)", () => {
    const committed = readFileSync(
      join(__dirname, "..", "..", "..", "..", ".repo", "policy.schema.json"),
      "utf8",
    );
    expect(committed).toBe(policySchemaText());
  });
});

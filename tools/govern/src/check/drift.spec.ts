import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createFixtureRepo, type FixtureRepo, positionOf } from "../../test/fixture-repo";
import { loadEffective } from "../model/load-effective";
import { policySchemaText } from "../policy/schema";
import { renderAll } from "../render/render-all";
import { writeRendered } from "../render/write-rendered";
import { driftFindings, SCHEMA_FILE } from "./drift";

describe("drift between committed output and a fresh render", () => {
  let repo: FixtureRepo;
  const fresh = async () => {
    const result = loadEffective(repo.root);
    if (!result.ok) throw new Error("fixture does not validate");
    return renderAll(result.repo);
  };
  beforeEach(async () => {
    repo = createFixtureRepo();
    writeRendered(repo.root, await fresh());
    writeFileSync(join(repo.root, SCHEMA_FILE), policySchemaText());
  });
  afterEach(() => repo.remove());

  it("finds none right after a render", async () => {
    expect(driftFindings(repo.root, await fresh())).toEqual([]);
  });

  it("reports a generated file edited by hand, at the first changed line", async () => {
    const file = "istio/order-service/virtual-service.yaml";
    const line = repo.replace(file, "timeout: 10s", "timeout: 60s");
    expect(driftFindings(repo.root, await fresh())).toEqual([
      {
        file,
        line,
        column: 1,
        message: expect.stringMatching(/differs from a fresh render .*npx govern render/),
      },
    ]);
  });

  it("reports output that a policy change made stale, missing files and strays", async () => {
    repo.replace("services/order/.repo/policy.yaml", "  - name: v2 # canary\n    weight: 20\n", "");
    repo.replace("services/order/.repo/policy.yaml", "weight: 80", "weight: 100");
    repo.write("istio/order-service/hand-made.yaml", "kind: VirtualService\n");
    const findings = driftFindings(repo.root, await fresh());
    expect(findings.map((f) => f.file)).toEqual(
      expect.arrayContaining([
        "istio/order-service/virtual-service.yaml",
        "istio/order-service/destination-rule.yaml",
        "deploy/generated/order-service/deployment-v2.patch.yaml",
        "istio/order-service/hand-made.yaml",
      ]),
    );
  });

  it("reports a stale schema file", async () => {
    repo.write(SCHEMA_FILE, "{}\n");
    expect(driftFindings(repo.root, await fresh())).toEqual([
      { file: SCHEMA_FILE, line: 1, column: 1, message: expect.stringContaining("govern schema") },
    ]);
    expect(positionOf(policySchemaText(), "ServicePolicy").line).toBeGreaterThan(1);
  });
});

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FIXTURES } from "../../test/fixture-repo";
import { applyPlan, kubectlArgs } from "./kubectl-apply";
import { CanaryError, promoteCanary, rollbackCanary, setCanaryWeight } from "./version-weights";

const ORDER = readFileSync(join(FIXTURES, "repo/services/order/.repo/policy.yaml"), "utf8");
const USER = readFileSync(join(FIXTURES, "repo/services/user/.repo/policy.yaml"), "utf8");

const comments = (text: string) => text.split("\n").filter((l) => l.includes("#"));

describe("canary edits of a policy's versions", () => {
  it("shifts weight to the canary and changes nothing else", () => {
    const after = setCanaryWeight(ORDER, 50);
    expect(after).toContain(
      "  - name: v1 # stable\n    weight: 50\n  - name: v2 # canary\n    weight: 50",
    );
    expect(after.replace(/weight: \d+/g, "")).toBe(ORDER.replace(/weight: \d+/g, ""));
  });

  it("round-trips: canary then rollback restores the file byte for byte", () => {
    const withCanary = setCanaryWeight(USER, 10, "v2");
    expect(withCanary).toContain("- name: v1\n    weight: 90\n  - name: v2\n    weight: 10");
    expect(rollbackCanary(withCanary)).toBe(USER);
  });

  it("promotes the canary to the only version, keeping every comment outside the old stable entry", () => {
    const promoted = promoteCanary(ORDER);
    expect(promoted).toContain("versions:\n  - name: v2 # canary\n    weight: 100\n");
    expect(promoted).not.toContain("name: v1");
    expect(comments(promoted)).toEqual(comments(ORDER).filter((l) => !l.includes("# stable")));
  });

  it("refuses what makes no sense", () => {
    expect(() => setCanaryWeight(USER, 10)).toThrow(CanaryError);
    expect(() => setCanaryWeight(ORDER, 101)).toThrow(/from 0 to 100/);
    expect(() => setCanaryWeight(ORDER, 10, "v3")).toThrow(/the canary is v2/);
    expect(() => promoteCanary(USER)).toThrow(/no canary to promote/);
    expect(() => rollbackCanary(USER)).toThrow(/no canary to roll back/);
  });
});

describe("--apply", () => {
  it("applies changed standalone resources and leaves patches to the deploy overlay", () => {
    const plan = applyPlan([
      "istio/order-service/virtual-service.yaml",
      "deploy/generated/order-service/deployment-v2.patch.yaml",
      "deploy/generated/kustomization.yaml",
      ".repo/generated/graph.svg",
      "istio/order-service/destination-rule.yaml",
    ]);
    expect(plan).toEqual({
      apply: [
        "istio/order-service/destination-rule.yaml",
        "istio/order-service/virtual-service.yaml",
      ],
      viaOverlay: [
        "deploy/generated/kustomization.yaml",
        "deploy/generated/order-service/deployment-v2.patch.yaml",
      ],
    });
    expect(kubectlArgs(plan.apply)).toEqual([
      "apply",
      "-f",
      "istio/order-service/destination-rule.yaml",
      "-f",
      "istio/order-service/virtual-service.yaml",
    ]);
  });
});

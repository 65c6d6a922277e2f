import { Code, ServiceError } from "@shop/libs/errors";
import { classifyStepFailure, describeError, MIN_STEP_MS, stepBudget } from "./saga-step-call";

describe("stepBudget", () => {
  it("gives a step its own timeout while the run has time", () => {
    expect(stepBudget(2_000, 10_000, 0)).toEqual({ timeoutMs: 2_000, capped: false });
  });

  it("cuts a step short to the run's deadline, and starts none too close to it", () => {
    expect(stepBudget(2_000, 500, 0)).toEqual({ timeoutMs: 500, capped: true });
    expect(stepBudget(2_000, MIN_STEP_MS - 1, 0)).toBeUndefined();
  });
});

describe("classifyStepFailure", () => {
  const full = { timeoutMs: 2_000, capped: false };
  const cut = { timeoutMs: 300, capped: true };
  const deadline = new ServiceError(Code.DEADLINE_EXCEEDED, "deadline");
  const timeout = Object.assign(new Error("timed out"), { name: "TimeoutError" });

  it("treats a call that used its whole timeout as a technical failure", () => {
    expect(classifyStepFailure(deadline, full, false).kind).toBe("technical");
    expect(classifyStepFailure(timeout, full, false).kind).toBe("technical");
    expect(classifyStepFailure(new ServiceError(Code.UNAVAILABLE, "down"), full, false).kind).toBe(
      "technical",
    );
  });

  it("leaves a call cut short by the run's deadline, or by shutdown, to a later run", () => {
    expect(classifyStepFailure(deadline, cut, false)).toEqual({ kind: "interrupted" });
    expect(classifyStepFailure(timeout, cut, false)).toEqual({ kind: "interrupted" });
    expect(classifyStepFailure(new Error("anything"), full, true)).toEqual({ kind: "interrupted" });
  });

  it("recognises a dependency's refusals", () => {
    for (const code of [Code.FAILED_PRECONDITION, Code.NOT_FOUND, Code.INVALID_ARGUMENT]) {
      expect(classifyStepFailure(new ServiceError(code, "no"), full, false)).toMatchObject({
        kind: "refused",
        code,
      });
    }
  });

  it("describes errors for the saga log", () => {
    expect(describeError(deadline)).toBe("DEADLINE_EXCEEDED: deadline");
    expect(describeError(timeout)).toBe("TimeoutError: timed out");
    expect(describeError("plain")).toBe("plain");
  });
});

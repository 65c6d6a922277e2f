import { Code, ServiceError } from "@shop/libs/errors";
import { createLogger } from "@shop/libs/logging";
import { Registry } from "prom-client";
import { createCircuitBreakers } from "./circuit-breakers";
import { EdgeError } from "./edge-error";

function breakers() {
  return createCircuitBreakers({
    backends: ["b"],
    settings: () => ({
      errorThresholdPercent: 50,
      volumeThreshold: 3,
      resetTimeoutMs: 60_000,
      windowMs: 10_000,
    }),
    logger: createLogger({ service: "api-gateway", level: "silent" }),
    registry: new Registry(),
  });
}

const failing = (code: Code) => () => Promise.reject(new ServiceError(code, "no"));

describe("createCircuitBreakers", () => {
  it("counts only the backend's failures", async () => {
    const b = breakers();
    try {
      for (const code of [
        Code.NOT_FOUND,
        Code.INVALID_ARGUMENT,
        Code.PERMISSION_DENIED,
        Code.RESOURCE_EXHAUSTED,
      ]) {
        for (let i = 0; i < 3; i++)
          await expect(b.run("b", failing(code))).rejects.toMatchObject({ code });
      }
      expect(b.state("b")).toBe("closed");
      // Answers count as successes: 12 of them and 13 failures is just over half.
      for (let i = 0; i < 13; i++)
        await expect(b.run("b", failing(Code.UNAVAILABLE))).rejects.toThrow();
      expect(b.state("b")).toBe("open");
      const rejected = await b.run("b", async () => "never").catch((e: unknown) => e);
      expect(rejected).toBeInstanceOf(EdgeError);
      expect(rejected).toMatchObject({ code: Code.UNAVAILABLE, reason: "CIRCUIT_OPEN" });
      expect(Number((rejected as EdgeError).headers["retry-after"])).toBeGreaterThanOrEqual(59);
      expect(b.states()).toEqual({ b: "open" });
    } finally {
      b.shutdown();
    }
  });

  it("ignores a deadline the client set, counts one it did not", async () => {
    const b = breakers();
    try {
      for (let i = 0; i < 4; i++) {
        await expect(b.run("b", failing(Code.DEADLINE_EXCEEDED), true)).rejects.toThrow();
      }
      expect(b.state("b")).toBe("closed");
      for (let i = 0; i < 5; i++) {
        await expect(b.run("b", failing(Code.DEADLINE_EXCEEDED), false)).rejects.toThrow();
      }
      expect(b.state("b")).toBe("open");
    } finally {
      b.shutdown();
    }
  });

  it("runs calls of an unknown backend without a breaker", async () => {
    const b = breakers();
    try {
      await expect(b.run("other", async () => 42)).resolves.toBe(42);
      expect(b.state("other")).toBe("closed");
    } finally {
      b.shutdown();
    }
  });
});

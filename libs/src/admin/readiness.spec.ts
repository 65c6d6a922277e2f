import { Registry } from "prom-client";
import { Code } from "../errors";
import { createReadiness } from "./readiness";

/** A check whose answer the test controls, counting its calls. */
function controlledCheck(initial: boolean) {
  const state = { up: initial, calls: 0 };
  const check = async () => {
    state.calls++;
    return state.up;
  };
  return { state, check };
}

/** A check that stays pending while `hang` is set, until the test releases it. */
function hangingCheck() {
  const state = { calls: 0, hang: true };
  const pending: ((up: boolean) => void)[] = [];
  const check = () => {
    state.calls++;
    if (!state.hang) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => pending.push(resolve));
  };
  const release = () => {
    state.hang = false;
    for (const resolve of pending.splice(0)) resolve(true);
  };
  return { state, check, release };
}

describe("createReadiness", () => {
  it("goes starting -> ready -> draining and never back to ready", async () => {
    const readiness = createReadiness();
    expect(readiness.state).toBe("starting");
    expect(await readiness.report()).toEqual({ status: "starting", ready: false, checks: {} });
    readiness.markReady();
    expect(await readiness.report()).toEqual({ status: "ready", ready: true, checks: {} });
    readiness.markDraining();
    readiness.markReady();
    expect(readiness.state).toBe("draining");
    expect(await readiness.report()).toMatchObject({ status: "draining", ready: false });
  });

  it("fails only on a critical check; non-critical ones are reported", async () => {
    const database = controlledCheck(true);
    const redis = controlledCheck(false);
    const readiness = createReadiness({ cacheMs: 0 });
    readiness.addCheck("database", database.check, { critical: true });
    readiness.addCheck("redis", redis.check, { critical: false });
    readiness.markReady();

    expect(await readiness.report()).toEqual({
      status: "ready",
      ready: true,
      checks: { database: "up", redis: "down" },
    });
    database.state.up = false;
    redis.state.up = true;
    expect(await readiness.report()).toEqual({
      status: "not_ready",
      ready: false,
      checks: { database: "down", redis: "up" },
    });
  });

  it("counts a rejected check as down", async () => {
    const readiness = createReadiness();
    readiness.addCheck("database", () => Promise.reject(new Error("ECONNREFUSED")), {
      critical: true,
    });
    readiness.markReady();
    expect(await readiness.report()).toMatchObject({
      status: "not_ready",
      checks: { database: "down" },
    });
  });

  it("reuses a result within the cache time, also for concurrent reports", async () => {
    const database = controlledCheck(true);
    const readiness = createReadiness({ cacheMs: 60_000 });
    readiness.addCheck("database", database.check, { critical: true });
    readiness.markReady();
    await Promise.all([readiness.report(), readiness.report(), readiness.report()]);
    database.state.up = false;
    expect(await readiness.report()).toMatchObject({ status: "ready" });
    expect(database.state.calls).toBe(1);
  });

  it("counts a check past its timeout as down and does not call it again until it settles", async () => {
    const redis = hangingCheck();
    const readiness = createReadiness({ cacheMs: 0 });
    readiness.addCheck("redis", redis.check, { critical: true, timeoutMs: 20 });
    readiness.markReady();

    expect(await readiness.report()).toMatchObject({
      status: "not_ready",
      checks: { redis: "down" },
    });
    expect(await readiness.report()).toMatchObject({ checks: { redis: "down" } });
    expect(redis.state.calls).toBe(1);

    redis.release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(await readiness.report()).toMatchObject({ status: "ready", checks: { redis: "up" } });
    expect(redis.state.calls).toBe(2);
  });

  it("exports dependency_up per check in the registry passed in", async () => {
    const registry = new Registry();
    const database = controlledCheck(true);
    const readiness = createReadiness({ registry, cacheMs: 0 });
    readiness.addCheck("database", database.check, { critical: true });
    readiness.addCheck("redis", controlledCheck(false).check, { critical: false });

    const text = await registry.metrics();
    expect(text).toContain("# TYPE dependency_up gauge");
    expect(text).toContain('dependency_up{dependency="database"} 1');
    expect(text).toContain('dependency_up{dependency="redis"} 0');
    database.state.up = false;
    expect(await registry.metrics()).toContain('dependency_up{dependency="database"} 0');
  });

  it("rejects a second check with the same name", () => {
    const readiness = createReadiness();
    readiness.addCheck("database", async () => true, { critical: true });
    expect(() => readiness.addCheck("database", async () => true, { critical: false })).toThrow(
      expect.objectContaining({
        code: Code.ALREADY_EXISTS,
        message: expect.stringContaining("database"),
      }),
    );
  });
});

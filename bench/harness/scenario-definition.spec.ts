import { ConfigError } from "@shop/libs/config";
import { Code, ServiceError } from "@shop/libs/errors";
import { defineScenario, resolveSettings } from "./scenario-definition";

const definition = defineScenario({
  name: "gateway-vs-direct",
  description: "test",
  processes: [],
  warmupMs: 1000,
  durationMs: 10_000,
  concurrencies: [1, 8, 64, 256],
  variants: [
    { name: "direct", load: () => ({ protocol: "http", url: "http://127.0.0.1:1/" }) },
    { name: "gateway", load: () => ({ protocol: "http", url: "http://127.0.0.1:2/" }) },
  ],
});

describe("resolveSettings", () => {
  it("uses the definition, with interleaved 2 s rounds and the first variant as baseline", () => {
    expect(resolveSettings(definition, {})).toEqual({
      durationMs: 10_000,
      warmupMs: 1000,
      roundMs: 2000,
      rounds: 5,
      concurrencies: [1, 8, 64, 256],
      interleave: true,
      warmupConcurrency: 8,
      baseline: "direct",
      resultsDir: undefined,
    });
  });

  it("applies the BENCH_* overrides", () => {
    const settings = resolveSettings(definition, {
      BENCH_DURATION_MS: "3000",
      BENCH_WARMUP_MS: "0",
      BENCH_ROUND_MS: "500",
      BENCH_CONCURRENCIES: "1, 4",
      BENCH_RESULTS_DIR: "/tmp/x",
    });
    expect(settings).toMatchObject({
      durationMs: 3000,
      warmupMs: 0,
      roundMs: 500,
      rounds: 6,
      concurrencies: [1, 4],
      warmupConcurrency: 4,
      resultsDir: "/tmp/x",
    });
  });

  it("runs each variant in one phase when not interleaved", () => {
    expect(resolveSettings({ ...definition, interleave: false }, {}).rounds).toBe(1);
  });

  it("names the variable of a malformed override", () => {
    const parse = () => resolveSettings(definition, { BENCH_CONCURRENCIES: "1,0,x" });
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(/BENCH_CONCURRENCIES/);
    expect(() => resolveSettings(definition, { BENCH_DURATION_MS: "-5" })).toThrow(
      /BENCH_DURATION_MS/,
    );
  });

  it.each([
    [{ name: "Not Kebab" }, /name: expected kebab-case/],
    [{ variants: [] }, /variants: expected at least one/],
    [{ variants: [definition.variants[0]!, definition.variants[0]!] }, /names must be unique/],
    [{ baseline: "nope" }, /no variant named nope/],
    [{ concurrencies: [0] }, /concurrencies: expected positive integers/],
  ])("rejects a definition with %j", (change, message) => {
    let error: unknown;
    try {
      resolveSettings({ ...definition, ...change }, {});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).code).toBe(Code.INVALID_ARGUMENT);
    expect((error as ServiceError).message).toMatch(message);
  });
});

import { ConfigError, env, parseDurationMs, parseEnv } from "./env";

const shape = {
  GRPC_PORT: env.port().default(50051),
  DATABASE_URL: env.url("postgres", "postgresql"),
  MESH_MODE: env.oneOf(["local", "istio"]).default("local"),
  SHUTDOWN_GRACE: env.durationMs().default(10_000),
  TRACING: env.bool().default(false),
  POOL_SIZE: env.int(1, 100).default(10),
};

function problems(input: Record<string, string>): string[] {
  try {
    parseEnv(shape, input);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems.map((p) => `${p.variable}: ${p.message}`);
  }
  throw new Error("expected a ConfigError");
}

describe("parseEnv", () => {
  it("parses, applies defaults and freezes", () => {
    const config = parseEnv(shape, {
      DATABASE_URL: "postgres://u@h/db",
      SHUTDOWN_GRACE: "1.5s",
      TRACING: "true",
      UNRELATED: "x",
    });
    expect(config).toEqual({
      GRPC_PORT: 50051,
      DATABASE_URL: "postgres://u@h/db",
      MESH_MODE: "local",
      SHUTDOWN_GRACE: 1500,
      TRACING: true,
      POOL_SIZE: 10,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("names a missing variable, treating empty as unset", () => {
    expect(problems({ DATABASE_URL: "" })).toEqual(["DATABASE_URL: required"]);
  });

  it("names every malformed variable with what was expected", () => {
    expect(
      problems({
        DATABASE_URL: "redis://x",
        GRPC_PORT: "70000",
        MESH_MODE: "consul",
        SHUTDOWN_GRACE: "soon",
        TRACING: "yes",
        POOL_SIZE: "ten",
      }).sort(),
    ).toEqual([
      "DATABASE_URL: expected a URL (postgres, postgresql)",
      "GRPC_PORT: expected 0-65535",
      "MESH_MODE: expected one of local, istio",
      "POOL_SIZE: expected an integer",
      'SHUTDOWN_GRACE: expected a duration like 250ms, 5s or 1m, got "soon"',
      "TRACING: expected true or false",
    ]);
  });

  it("puts every problem in the error message", () => {
    expect(() => parseEnv(shape, { GRPC_PORT: "x" })).toThrow(
      /invalid configuration:\n {2}GRPC_PORT: expected a port number\n {2}DATABASE_URL: required/,
    );
  });
});

describe("parseDurationMs", () => {
  it.each([
    ["250ms", 250],
    ["5s", 5000],
    ["2m", 120_000],
    ["1h", 3_600_000],
    ["5", undefined],
    ["-1s", undefined],
    ["1d", undefined],
  ])("%s -> %s", (text, ms) => expect(parseDurationMs(text)).toBe(ms));
});

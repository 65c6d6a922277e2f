import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SERVICES } from "../mesh";
import {
  defaultRuntimeConfig,
  defaultRuntimeConfigPath,
  findRepoRoot,
  loadRuntimeConfig,
  RuntimeConfigError,
  runtimeConfigSchema,
} from ".";

const valid = {
  service: "order-service",
  defaults: {
    timeoutMs: 2000,
    retry: {
      maxAttempts: 3,
      initialBackoffMs: 50,
      maxBackoffMs: 500,
      backoffMultiplier: 2,
      retryableStatusCodes: ["UNAVAILABLE"],
    },
  },
  upstreams: {
    "product-service": {
      timeoutMs: 800,
      breaker: { errorThresholdPercent: 50, volumeThreshold: 20, resetTimeoutMs: 10_000 },
      methods: { ReserveStock: { timeoutMs: 1500 } },
    },
  },
  allowedCallers: { "shop.order.v1.OrderService/GetOrder": ["api-gateway"] },
  faults: {
    "slow-create": {
      method: "shop.order.v1.OrderService/CreateOrder",
      kind: "delay",
      delayMs: 300,
      percent: 50,
      env: "FAULT_SLOW_CREATE",
    },
  },
};

describe("runtime config", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "runtime-config-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (content: unknown) => {
    const file = join(dir, "config.json");
    writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
    return file;
  };

  it("parses a rendered file and freezes it", () => {
    const config = loadRuntimeConfig("order-service", write(valid));
    expect(config.upstreams["product-service"]?.methods?.ReserveStock?.timeoutMs).toBe(1500);
    expect(config.faults["slow-create"]).toMatchObject({ kind: "delay", delayMs: 300 });
    expect(Object.isFrozen(config.defaults.retry.retryableStatusCodes)).toBe(true);
  });

  it("fills absent collections with empty ones", () => {
    const { upstreams: _u, allowedCallers: _a, faults: _f, ...minimal } = valid;
    const config = loadRuntimeConfig("order-service", write(minimal));
    expect(config).toMatchObject({ upstreams: {}, allowedCallers: {}, faults: {} });
  });

  it("uses the defaults when the default file is absent", () => {
    const config = loadRuntimeConfig("user-service", undefined, dir);
    expect(config).toEqual(defaultRuntimeConfig("user-service"));
    expect(config.defaults.timeoutMs).toBe(5000);
    expect(config.defaults.retry.maxAttempts).toBe(1);
    expect(config.allowedCallers).toEqual({});
  });

  it("parses every config governance rendered into the repo", () => {
    for (const { name } of SERVICES) {
      if (!existsSync(defaultRuntimeConfigPath(name))) continue;
      expect(loadRuntimeConfig(name).service).toBe(name);
    }
  });

  it("finds the repo root from a nested folder", () => {
    const root = findRepoRoot();
    expect(findRepoRoot(join(root, "libs", "src", "grpc"))).toBe(root);
    expect(defaultRuntimeConfigPath("api-gateway")).toBe(
      join(root, ".repo", "generated", "api-gateway.json"),
    );
    expect(() => findRepoRoot(tmpdir())).toThrow(/no buf.yaml/);
  });

  it("rejects an explicit path that does not exist", () => {
    expect(() => loadRuntimeConfig("user-service", join(dir, "nope.json"))).toThrow(
      RuntimeConfigError,
    );
  });

  it("names the file and the JSON path of a bad value", () => {
    const bad = structuredClone(valid) as Record<string, unknown>;
    (bad.upstreams as Record<string, { timeoutMs: unknown }>)["product-service"]!.timeoutMs = -1;
    const file = write(bad);
    expect(() => loadRuntimeConfig("order-service", file)).toThrow(
      new RegExp(`${file}[\\s\\S]*\\$\\.upstreams\\["product-service"\\]\\.timeoutMs`),
    );
  });

  it("rejects unknown keys, naming the key", () => {
    const file = write({ ...valid, defaults: { ...valid.defaults, timeout: 3 } });
    expect(() => loadRuntimeConfig("order-service", file)).toThrow(/\$\.defaults\.timeout:/);
  });

  it("rejects a file that is not JSON", () => {
    const file = write("{ not json");
    expect(() => loadRuntimeConfig("order-service", file)).toThrow(
      /invalid runtime config .*\n {2}\$:/,
    );
  });

  it("rejects a config rendered for another service", () => {
    expect(() => loadRuntimeConfig("user-service", write(valid))).toThrow(
      /\$\.service: expected "user-service"/,
    );
  });

  it("checks retry and fault consistency", () => {
    const result = runtimeConfigSchema.safeParse({
      ...valid,
      defaults: {
        timeoutMs: 1000,
        retry: { ...valid.defaults.retry, maxBackoffMs: 10, retryableStatusCodes: [] },
      },
      allowedCallers: {
        "/shop.order.v1.OrderService/GetOrder": ["api-gateway"],
        "shop.order.v1.OrderService/ListOrders": ["nobody"],
      },
      faults: {
        broken: {
          method: "shop.order.v1.OrderService/GetOrder",
          kind: "error",
          percent: 10,
          env: "FAULT_X",
        },
      },
    });
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((i) => i.path.join(".")).sort();
    expect(paths).toEqual([
      "allowedCallers./shop.order.v1.OrderService/GetOrder",
      "allowedCallers.shop.order.v1.OrderService/ListOrders.0",
      "defaults.retry.maxBackoffMs",
      "defaults.retry.retryableStatusCodes",
      "faults.broken.code",
    ]);
  });
});

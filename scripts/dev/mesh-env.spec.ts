import { DEFAULT_PORTS, meshEnv, parseMeshPorts } from "./mesh-env";

const secrets = { dbPasswords: {}, userKek: "kek" };

it("takes every process's ports as JSON, as the embedded mode's --ports", () => {
  const ports = structuredClone(DEFAULT_PORTS);
  ports["api-gateway"] = { http: 18000, grpc: 19000 };
  expect(parseMeshPorts(JSON.stringify(ports))).toEqual(ports);
});

it("names what is wrong with --ports", () => {
  expect(() => parseMeshPorts("{")).toThrow(/^--ports is not JSON/);
  const { "order-service": _missing, ...partial } = DEFAULT_PORTS;
  expect(() => parseMeshPorts(JSON.stringify(partial))).toThrow(/order-service/);
  expect(() =>
    parseMeshPorts(JSON.stringify({ ...DEFAULT_PORTS, "user-service": { http: 0, grpc: 1 } })),
  ).toThrow(/user-service\.http/);
  expect(() =>
    parseMeshPorts(
      JSON.stringify({ ...DEFAULT_PORTS, "user-service": { http: 8000, grpc: 50051 } }),
    ),
  ).toThrow("--ports uses port 8000 twice");
});

it("points every process at the others' ports and at user-service's JWKS", () => {
  const ports = parseMeshPorts(
    JSON.stringify({
      "api-gateway": { http: 1000, grpc: 1001 },
      "user-service": { http: 1010, grpc: 1011 },
      "product-service": { http: 1020, grpc: 1021 },
      "order-service": { http: 1030, grpc: 1031 },
    }),
  );
  const envs = meshEnv({
    base: { KEEP: "me" },
    ports,
    databaseUrls: { "order-service": "postgres://o@h/orders" },
    secrets,
    spanFile: "/tmp/spans.jsonl",
  });
  expect(envs["order-service"]).toMatchObject({
    KEEP: "me",
    HTTP_PORT: "1030",
    GRPC_PORT: "1031",
    USER_SERVICE_ADDR: "127.0.0.1:1011",
    PRODUCT_SERVICE_ADDR: "127.0.0.1:1021",
    JWKS_URL: "http://127.0.0.1:1010/.well-known/jwks.json",
    DATABASE_URL: "postgres://o@h/orders",
    SHOP_SPAN_FILE: "/tmp/spans.jsonl",
    OTEL_SERVICE_NAME: "order-service",
  });
  expect(envs["user-service"].USER_KEK).toBe("kek");
  expect(envs["api-gateway"].USER_KEK).toBeUndefined();
});

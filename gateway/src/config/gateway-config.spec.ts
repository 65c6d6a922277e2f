import { ConfigError } from "@shop/libs/config";
import { parseGatewayConfig } from "./gateway-config";

describe("parseGatewayConfig", () => {
  it("defaults to the ports, limits and fallbacks of the design", () => {
    const config = parseGatewayConfig({});
    expect(config).toMatchObject({
      HTTP_PORT: 8000,
      GRPC_PORT: 9000,
      BODY_LIMIT: 1024 * 1024,
      RATE_LIMIT_ANONYMOUS: { limit: 300, windowMs: 60_000 },
      RATE_LIMIT_AUTHENTICATED: { limit: 1200, windowMs: 60_000 },
      RATE_LIMIT_CREDENTIALS: { limit: 20, windowMs: 60_000 },
      STALE_FALLBACK_RPCS: [
        "shop.product.v1.ProductService/ListProducts",
        "shop.product.v1.ProductService/GetProduct",
      ],
      CORS_ALLOW_ORIGINS: [],
      TRUST_PROXY_HOPS: 0,
    });
    expect(config.BREAKER_VOLUME_THRESHOLD).toBeUndefined();
  });

  it("reads limits, lists and breaker overrides", () => {
    const config = parseGatewayConfig({
      RATE_LIMIT_ANONYMOUS: "off",
      RATE_LIMIT_AUTHENTICATED: "5/1.5s",
      CORS_ALLOW_ORIGINS: " https://a.example , https://b.example ,",
      BREAKER_ERROR_THRESHOLD_PERCENT: "25.5",
      BREAKER_RESET_TIMEOUT: "2s",
    });
    expect(config.RATE_LIMIT_ANONYMOUS).toBeNull();
    expect(config.RATE_LIMIT_AUTHENTICATED).toEqual({ limit: 5, windowMs: 1_500 });
    expect(config.CORS_ALLOW_ORIGINS).toEqual(["https://a.example", "https://b.example"]);
    expect(config.BREAKER_ERROR_THRESHOLD_PERCENT).toBe(25.5);
    expect(config.BREAKER_RESET_TIMEOUT).toBe(2_000);
  });

  it.each([
    ["RATE_LIMIT_ANONYMOUS", "300"],
    ["RATE_LIMIT_ANONYMOUS", "0/1m"],
    ["RATE_LIMIT_ANONYMOUS", "1000000000/1m"],
    ["RATE_LIMIT_CREDENTIALS", "10/soon"],
    ["BREAKER_ERROR_THRESHOLD_PERCENT", "0"],
    ["BREAKER_ERROR_THRESHOLD_PERCENT", "lots"],
    ["BODY_LIMIT", "1MiB"],
    ["STALE_MAX_AGE", "forever"],
  ])("names %s when it is %s", (variable, value) => {
    expect(() => parseGatewayConfig({ [variable]: value })).toThrow(ConfigError);
    expect(() => parseGatewayConfig({ [variable]: value })).toThrow(new RegExp(`${variable}: `));
  });
});

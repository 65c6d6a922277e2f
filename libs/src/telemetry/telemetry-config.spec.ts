import { ConfigError } from "../config";
import { telemetryOptionsFromEnv } from "./telemetry-config";

describe("telemetryOptionsFromEnv", () => {
  it("reads the service, the OTLP endpoint and the span file", () => {
    expect(
      telemetryOptionsFromEnv({
        OTEL_SERVICE_NAME: "order-service",
        SERVICE_NAME: "other",
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
        SHOP_SPAN_FILE: "/tmp/spans.jsonl",
      }),
    ).toEqual({
      serviceName: "order-service",
      embedded: false,
      otlpEndpoint: "http://collector:4318",
      spanFile: "/tmp/spans.jsonl",
    });
  });

  it("falls back to SERVICE_NAME and leaves exporters off when unset or empty", () => {
    expect(
      telemetryOptionsFromEnv({ SERVICE_NAME: "user-service", OTEL_EXPORTER_OTLP_ENDPOINT: "" }),
    ).toEqual({ serviceName: "user-service", embedded: false });
  });

  it("needs no service name in the embedded mode", () => {
    expect(telemetryOptionsFromEnv({ SHOP_EMBEDDED: "1" })).toEqual({
      serviceName: "",
      embedded: true,
    });
  });

  it.each([
    [{}, "OTEL_SERVICE_NAME", "required"],
    [
      { SERVICE_NAME: "x", OTEL_EXPORTER_OTLP_ENDPOINT: "grpc://c:4317" },
      "OTEL_EXPORTER_OTLP_ENDPOINT",
      "expected a URL",
    ],
    [{ SERVICE_NAME: "x", SHOP_EMBEDDED: "yes" }, "SHOP_EMBEDDED", "expected true or false"],
  ])("rejects %j naming %s", (env, variable, message) => {
    let thrown: unknown;
    try {
      telemetryOptionsFromEnv(env);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).problems).toEqual([
      { variable, message: expect.stringContaining(message) },
    ]);
  });
});

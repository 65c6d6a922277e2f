import { ConfigError, type Env, env, parseEnv } from "../config";
import type { TelemetryOptions } from "./telemetry";

const SHAPE = {
  OTEL_SERVICE_NAME: env.string().optional(),
  SERVICE_NAME: env.string().optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: env.url("http", "https").optional(),
  SHOP_SPAN_FILE: env.string().optional(),
  SHOP_EMBEDDED: env.bool().optional(),
};

/**
 * The telemetry options from the environment: OTEL_SERVICE_NAME (or SERVICE_NAME),
 * OTEL_EXPORTER_OTLP_ENDPOINT, SHOP_SPAN_FILE, SHOP_EMBEDDED. A service name is required
 * unless embedded, where the resource is "shop-embedded" whatever is set. Throws a
 * ConfigError naming the variable.
 */
export function telemetryOptionsFromEnv(source: Env): TelemetryOptions {
  const parsed = parseEnv(SHAPE, source);
  const embedded = parsed.SHOP_EMBEDDED ?? false;
  const serviceName = parsed.OTEL_SERVICE_NAME ?? parsed.SERVICE_NAME;
  if (serviceName === undefined && !embedded) {
    throw new ConfigError([
      {
        variable: "OTEL_SERVICE_NAME",
        message: "required (or SERVICE_NAME), unless SHOP_EMBEDDED=true",
      },
    ]);
  }
  return {
    serviceName: serviceName ?? "",
    embedded,
    ...(parsed.OTEL_EXPORTER_OTLP_ENDPOINT
      ? { otlpEndpoint: parsed.OTEL_EXPORTER_OTLP_ENDPOINT }
      : {}),
    ...(parsed.SHOP_SPAN_FILE ? { spanFile: parsed.SHOP_SPAN_FILE } : {}),
  };
}

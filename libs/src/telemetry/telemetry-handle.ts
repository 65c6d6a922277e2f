/** What startTelemetry returns: the OpenTelemetry SDK running in this process. */
export interface Telemetry {
  /** The resource's service.name: the service, or "shop-embedded" in the embedded mode. */
  readonly serviceName: string;
  readonly embedded: boolean;
  /** Exports every span ended so far (OTLP and the span file). */
  flush(): Promise<void>;
  /** Flushes, then stops the SDK; later spans are dropped. Safe to call twice. */
  shutdown(): Promise<void>;
}

/**
 * Where the process-wide handle lives. A registered symbol on globalThis rather than a
 * module variable: the preload and the service may load this module through different
 * paths (tsx, a bundler, two copies in node_modules), and a second NodeSDK would patch
 * grpc, http, pg and ioredis twice.
 */
export const TELEMETRY_HANDLE = Symbol.for("shop.telemetry");

type WithHandle = { [TELEMETRY_HANDLE]?: Telemetry };

/** The telemetry started in this process, if any. */
export function currentTelemetry(): Telemetry | undefined {
  return (globalThis as WithHandle)[TELEMETRY_HANDLE];
}

export function setCurrentTelemetry(telemetry: Telemetry): void {
  (globalThis as WithHandle)[TELEMETRY_HANDLE] = telemetry;
}

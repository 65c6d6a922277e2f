/**
 * Starts OpenTelemetry before anything it instruments is loaded:
 * `node --require <libs>/src/telemetry/preload` (or `tsx --require`). Configured by
 * OTEL_SERVICE_NAME (or SERVICE_NAME), OTEL_EXPORTER_OTLP_ENDPOINT, SHOP_SPAN_FILE and
 * SHOP_EMBEDDED; a bad value stops the process with the variable's name.
 *
 * Plain JavaScript syntax with require(), on purpose: Node also runs --require files in
 * the module-hooks worker thread that tsx starts, where no TypeScript transform exists
 * yet; there this file must still parse, and must not start a second SDK. The same
 * holds for worker threads the service starts itself.
 */
if (require("node:worker_threads").isMainThread) {
  try {
    const options = require("./telemetry-config").telemetryOptionsFromEnv(process.env);
    require("./telemetry").startTelemetry(options);
  } catch (error) {
    if (!(error instanceof Error && error.name === "ConfigError")) throw error;
    console.error(`telemetry: ${error.message}`);
    process.exit(1);
  }
}

export {
  createServiceNameProcessor,
  SERVICE_NAME_ATTRIBUTE,
  SERVICE_NAME_KEY,
  serviceNameFrom,
  withServiceName,
} from "./service-name";
export { createSpanFileExporter, type SpanRecord, spanRecordFromSpan } from "./span-file-exporter";
export {
  EMBEDDED_SERVICE_NAME,
  shutdownTelemetry,
  startTelemetry,
  type TelemetryOptions,
} from "./telemetry";
export { telemetryOptionsFromEnv } from "./telemetry-config";
export { currentTelemetry, type Telemetry } from "./telemetry-handle";

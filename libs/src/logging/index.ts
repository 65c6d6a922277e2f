export { createLogger, LOG_LEVELS, type Logger, type LoggerConfig, type LogLevel } from "./logger";
export { REDACTED, redact, redactString } from "./redact";

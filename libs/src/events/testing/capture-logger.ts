import { createLogger, type Logger } from "../../logging";

export interface CapturedLogger {
  logger: Logger;
  /** Parsed log lines so far. */
  readonly lines: Record<string, unknown>[];
  /** The lines whose message matches. */
  matching(message: RegExp): Record<string, unknown>[];
}

/** Test support: a real logger whose lines are kept in memory for assertions. */
export function captureLogger(service = "order-service"): CapturedLogger {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    service,
    level: "debug",
    destination: { write: (line: string) => lines.push(JSON.parse(line)) },
  });
  return {
    logger,
    lines,
    matching: (message) => lines.filter((l) => message.test(String(l.message))),
  };
}

import { createLogger, type Logger } from "../../logging";

/** A logger whose JSON lines are kept in `lines` (parsed), for asserting on what was logged. */
export function createCapturedLogger(service: string): {
  logger: Logger;
  lines: Record<string, unknown>[];
} {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    service,
    level: "debug",
    destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
  });
  return { logger, lines };
}

/**
 * What the operator commands share: the users database (migrated, so a command also
 * works before the service first started) and the exit-code convention of runMain
 * (78 for configuration errors, 1 for anything else).
 */
import { ConfigError } from "@shop/libs/config";
import { createPool, migrate } from "@shop/libs/db";
import { EVENTS_MIGRATIONS_DIR, EVENTS_MIGRATIONS_NAMESPACE } from "@shop/libs/events";
import { createLogger, type Logger } from "@shop/libs/logging";
import type { Pool } from "pg";
import { USER_MIGRATIONS_DIR } from "../user-service";

/** A quiet logger: commands talk to the operator on stdout, warnings go to the log. */
export function commandLogger(): Logger {
  return createLogger({ service: "user-service", level: "warn" });
}

/** A small pool on the users database, with every migration applied. */
export async function openUserDatabase(url: string, logger: Logger): Promise<Pool> {
  const pool = createPool({ url, max: 2, applicationName: "user-service-command", logger });
  try {
    await migrate(pool, {
      namespace: EVENTS_MIGRATIONS_NAMESPACE,
      dir: EVENTS_MIGRATIONS_DIR,
      logger,
    });
    await migrate(pool, { namespace: "user-service", dir: USER_MIGRATIONS_DIR, logger });
  } catch (error) {
    await pool.end();
    throw error;
  }
  return pool;
}

/** Runs a command's main and exits with its status; the error message only, no stack. */
export function runCommand(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(error instanceof ConfigError ? 78 : 1);
    },
  );
}

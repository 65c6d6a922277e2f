/**
 * The body of a Job's entry point: run to completion and exit 0; a configuration error
 * prints the variables at fault and exits 78 (EX_CONFIG, as services do); anything else
 * exits 1, so the Job's restart policy retries it.
 */
import { ConfigError } from "@shop/libs/config";

export function runJob(name: string, job: () => Promise<void>): void {
  job().then(
    () => process.exit(0),
    (error: unknown) => {
      if (error instanceof ConfigError) {
        console.error(`${name}: ${error.message}`);
        process.exit(78);
      }
      console.error(`${name} failed:`, error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}

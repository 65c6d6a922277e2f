import { ConfigError } from "../config";

/** What a service's `start` returns: something that stops gracefully. */
export interface Stoppable {
  stop(): Promise<void>;
}

/**
 * The body of every main.ts: start, then on SIGTERM or SIGINT stop gracefully and exit
 * 0. A configuration error prints the variables at fault and exits 78 (EX_CONFIG); any
 * other start-up failure exits 1. A second signal forces the exit.
 */
export function runMain(start: () => Promise<Stoppable>): void {
  let stopping = false;
  start()
    .then((process_) => {
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) {
          console.error(`${signal} again: exiting now`);
          process.exit(1);
        }
        stopping = true;
        process_.stop().then(
          () => process.exit(0),
          (error: unknown) => {
            console.error("shutdown failed:", error);
            process.exit(1);
          },
        );
      };
      process.on("SIGTERM", stop);
      process.on("SIGINT", stop);
    })
    .catch((error: unknown) => {
      if (error instanceof ConfigError) {
        console.error(error.message);
        process.exit(78);
      }
      console.error("start-up failed:", error);
      process.exit(1);
    });
}

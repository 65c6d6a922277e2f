/**
 * PostgreSQL load from a separate worker process (load-pg-worker.ts): `concurrency`
 * connections, each with one statement in flight, sent through `pg` as a service sends
 * it (an unnamed prepared statement with its parameters), so a scenario can time a
 * service's own SQL in the database alone, without the service in front of it.
 */
import { join } from "node:path";
import type { LoadRunResult } from "./load-result";
import { type LoadWorker, startLoadWorker } from "./load-worker";

/** One statement and its parameters, as `pg`'s `client.query(config)` takes them. */
export interface PgStatement {
  /**
   * A named statement is parsed once per connection and then run by name, as a
   * service that names it does; unnamed, it is parsed on every call.
   */
  name?: string;
  text: string;
  /** JSON-safe values (strings, numbers, arrays): they cross to the worker over IPC. */
  values?: readonly unknown[];
}

export interface PgLoadSpec {
  protocol: "pg";
  /** postgres://user@host:port/database */
  connectionString: string;
  /** The statement; with several, each call takes the next (one cursor shared by all). */
  statement: PgStatement | readonly PgStatement[];
  /** Connections, one statement in flight on each: the concurrency. */
  concurrency: number;
  durationMs: number;
  /** The session's statement_timeout; a statement cut off answers 57014. Default 10 s. */
  timeoutMs?: number;
}

/** The IPC form: always a list. */
export interface PgWireSpec extends Omit<PgLoadSpec, "statement"> {
  statements: PgStatement[];
}

export type PgLoadWorker = LoadWorker<PgLoadSpec, LoadRunResult>;

/** Forks the PostgreSQL worker; reuse it for every phase of a scenario (connections stay open). */
export function startPgLoadWorker(): PgLoadWorker {
  const worker = startLoadWorker<PgWireSpec, LoadRunResult>(
    "load-pg",
    join(__dirname, "load-pg-worker.ts"),
  );
  return {
    name: worker.name,
    pid: worker.pid,
    ready: worker.ready,
    close: () => worker.close(),
    run({ statement, ...rest }) {
      const statements = "text" in statement ? [statement] : [...statement];
      return worker.run({ ...rest, statements });
    },
  };
}

/** One phase in a worker of its own, for use outside a scenario. */
export async function runPgLoad(spec: PgLoadSpec): Promise<LoadRunResult> {
  const worker = startPgLoadWorker();
  try {
    return await worker.run(spec);
  } finally {
    await worker.close();
  }
}

/**
 * The PostgreSQL load worker process: keeps `concurrency` statements in flight for the
 * duration, one per connection. An answer is "OK" or the error's SQLSTATE ("57014" for
 * a statement cut off by statement_timeout); a failure without one (the connection
 * broke) counts as a socket error and the connection is replaced before its next call.
 */
import { Client, type QueryConfig } from "pg";
import { createLatencyHistogram } from "./latency-histogram";
import type { PgStatement, PgWireSpec } from "./load-pg";
import type { LoadRunResult } from "./load-result";
import { serveLoadRequests } from "./load-worker";

const queryConfig = ({ name, text, values }: PgStatement): QueryConfig => ({
  ...(name === undefined ? {} : { name }),
  text,
  values: values as unknown[] | undefined,
});

interface Connection {
  client: Client;
  timeoutMs: number;
  broken: boolean;
}

/** Runs phases; connections are kept across them, so later rounds pay no connection setup. */
function createPgRunner(): (spec: PgWireSpec) => Promise<LoadRunResult> {
  const pools = new Map<string, Connection[]>();

  const open = async (url: string, timeoutMs: number): Promise<Connection> => {
    const client = new Client({
      connectionString: url,
      application_name: "bench-load-pg",
      statement_timeout: timeoutMs,
    });
    const connection: Connection = { client, timeoutMs, broken: false };
    // An error event without a query in flight (the server ended the session) must not
    // end the worker; the next call on it fails and replaces it.
    client.on("error", () => {
      connection.broken = true;
    });
    await client.connect();
    return connection;
  };

  /**
   * `count` open connections to `url` with this timeout, opened in parallel as needed.
   * A new one runs each statement once before the phase starts, in a transaction it
   * rolls back (no writes stay): a fresh backend fills its catalog caches on its first
   * statements (10-15 ms of planning for a join), a cost of the connection, not of the
   * statement.
   */
  const connectionsFor = async (spec: PgWireSpec, count: number): Promise<Connection[]> => {
    const timeoutMs = spec.timeoutMs ?? 10_000;
    const key = `${spec.connectionString}#${timeoutMs}`;
    const pool = pools.get(key) ?? [];
    pools.set(key, pool);
    const missing = Math.max(0, count - pool.length);
    const opened = await Promise.all(
      Array.from({ length: missing }, async () => {
        const connection = await open(spec.connectionString, timeoutMs);
        const { client } = connection;
        for (const statement of spec.statements) {
          // A statement that fails here fails in the phase too, where it is counted.
          await client.query("BEGIN");
          await client.query(queryConfig(statement)).catch(() => {});
          await client.query("ROLLBACK");
        }
        return connection;
      }),
    );
    pool.push(...opened);
    return pool;
  };

  return async (spec) => {
    const pool = await connectionsFor(spec, spec.concurrency);
    return runPg(spec, pool, (i) => open(spec.connectionString, pool[i]!.timeoutMs));
  };
}

async function runPg(
  spec: PgWireSpec,
  pool: Connection[],
  reopen: (index: number) => Promise<Connection>,
): Promise<LoadRunResult> {
  const histogram = createLatencyHistogram();
  const responses: Record<string, number> = {};
  let answered = 0;
  let socketErrors = 0;

  const startedAt = performance.now();
  const endAt = startedAt + spec.durationMs;
  // One cursor shared by the callers, as in the gRPC worker: every caller cycles through
  // the whole list and the list is walked once before an entry repeats.
  let next = 0;
  const caller = async (index: number) => {
    while (performance.now() < endAt) {
      if (pool[index]!.broken) {
        pool[index]!.client.end().catch(() => {});
        pool[index] = await reopen(index);
      }
      const statement = spec.statements[next % spec.statements.length]!;
      next += 1;
      const sentAt = performance.now();
      try {
        await pool[index]!.client.query(queryConfig(statement));
        histogram.recordMs(performance.now() - sentAt);
        responses.OK = (responses.OK ?? 0) + 1;
        answered += 1;
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) {
          // The server answered with an error: a response like any other.
          histogram.recordMs(performance.now() - sentAt);
          responses[code] = (responses[code] ?? 0) + 1;
          answered += 1;
        } else {
          socketErrors += 1;
          pool[index]!.broken = true;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, (_, i) => caller(i)));
  return {
    protocol: "pg",
    durationMs: performance.now() - startedAt,
    requests: answered,
    responses,
    socketErrors,
    // statement_timeout answers 57014 (query_canceled), counted in `responses`.
    timeouts: 0,
    histogram: histogram.snapshot(),
  };
}

serveLoadRequests(createPgRunner());

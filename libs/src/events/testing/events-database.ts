import type { Pool } from "pg";
import { migrate } from "../../db/migrate";
import { createPool } from "../../db/pool";
import { createScratchDatabase } from "../../db/scratch-database";
import type { Logger } from "../../logging";
import { EVENTS_MIGRATIONS_DIR, EVENTS_MIGRATIONS_NAMESPACE } from "..";

const ADMIN_URL = process.env.PG_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export interface EventsDatabase {
  readonly url: string;
  readonly pool: Pool;
  /** Another pool on the same database (a second process). */
  newPool(): Pool;
  /** Ends the pools and drops the database. */
  drop(): Promise<void>;
}

/**
 * Test support: a scratch database with the events migrations and an `effects` table
 * that handlers increment, so a test can prove each event took effect exactly once.
 */
export async function createEventsDatabase(logger: Logger): Promise<EventsDatabase> {
  const scratch = await createScratchDatabase(ADMIN_URL);
  const pools: Pool[] = [];
  const newPool = () => {
    const pool = createPool({ url: scratch.url, applicationName: "events-test", logger, max: 5 });
    pools.push(pool);
    return pool;
  };
  const pool = newPool();
  await migrate(pool, {
    namespace: EVENTS_MIGRATIONS_NAMESPACE,
    dir: EVENTS_MIGRATIONS_DIR,
    logger,
  });
  await pool.query(
    "CREATE TABLE effects (event_id uuid PRIMARY KEY, aggregate_id text NOT NULL, n int NOT NULL)",
  );
  return {
    url: scratch.url,
    pool,
    newPool,
    async drop() {
      await Promise.all(pools.map((p) => p.end().catch(() => undefined)));
      await scratch.drop();
    },
  };
}

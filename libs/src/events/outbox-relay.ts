import type { Notification, Pool, PoolClient } from "pg";
import type { Logger } from "../logging";
import { type BackoffOptions, createBackoff, sleep } from "./backoff";
import type { EventBus } from "./event-bus";

export interface OutboxRelayOptions {
  /** The service's pool; the relay holds one of its connections while it runs. */
  pool: Pool;
  bus: EventBus;
  logger: Logger;
  /** Rows published per round (default 100). */
  batchSize?: number;
  /**
   * Fallback poll while waiting for a NOTIFY (default 250 ms), and how often a standby
   * relay tries to become the leader.
   */
  pollMs?: number;
  /** Poll interval while events flow (default 25 ms): no NOTIFY is sent then. */
  activePollMs?: number;
  /** Quiet time after which the relay waits for NOTIFY instead of polling (default 100 ms). */
  idleAfterMs?: number;
  /** Backoff while the bus or the database fails (default 100 ms doubling to 5 s). */
  retry?: BackoffOptions;
  /** Published rows are deleted after this long (default 24 h); 0 keeps them. */
  retentionMs?: number;
}

export interface OutboxRelay {
  /** Starts relaying in the background; a second call does nothing. */
  start(): void;
  /** Stops after the publish in progress and releases leadership. */
  stop(): Promise<void>;
  /** Whether this instance is the one publishing now. */
  isLeader(): boolean;
  /** Age in seconds of the oldest unpublished row, 0 when none: the relay's lag metric. */
  lagSeconds(): Promise<number>;
}

// Session advisory lock held by the publishing relay: "outbox" in ASCII. Advisory locks
// are per database, so each service's relays elect their own leader.
const LEADER_LOCK = 0x6f7574626f78n;
const PRUNE_EVERY_MS = 60_000;

interface Session {
  client: PoolClient;
  broken?: Error;
  /** Waits for a NOTIFY on 'outbox', or `ms`; returns at once if one came since the last wait. */
  waitForNotify(ms: number, signal: AbortSignal): Promise<void>;
}

/**
 * Publishes the outbox to the bus: unpublished rows in id order, a batch at a time (one
 * publishAll: in order, all or none), marked published only after the bus accepted
 * them, so a crash in between publishes them again (at least
 * once; consumers' inbox makes the effect exactly once). One relay per database
 * publishes at a time: the holder of a session advisory lock, which the others wait
 * for and take over when the leader's session ends, so replicas keep the order.
 *
 * Order is that of outbox ids among committed rows: a transaction that commits after
 * a later-numbered one is published after it. Events of one aggregate are written by
 * transactions that lock it, so their order holds.
 *
 * Waking: while events flow the leader polls every `activePollMs`; after `idleAfterMs`
 * without any it sets `outbox_relay.listening` and waits for the NOTIFY the next
 * writer then sends (or `pollMs`). Writers notify only while it listens: a committing
 * transaction that notified holds a cluster-wide lock through its WAL flush, which
 * serialised every write under load (migration 0002).
 */
export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { pool, bus, logger } = options;
  const batchSize = Math.max(1, options.batchSize ?? 100);
  const pollMs = Math.max(10, options.pollMs ?? 250);
  const activePollMs = Math.max(1, options.activePollMs ?? 25);
  const idleAfterMs = Math.max(0, options.idleAfterMs ?? 100);
  const retentionMs = options.retentionMs ?? 24 * 60 * 60 * 1_000;
  let controller: AbortController | undefined;
  let running: Promise<void> | undefined;
  let leader = false;

  async function run(signal: AbortSignal): Promise<void> {
    const backoff = createBackoff(options.retry);
    while (!signal.aborted) {
      let session: Session | undefined;
      try {
        session = await becomeLeader(signal);
        if (!session) break;
        leader = true;
        logger.info("outbox relay is the leader: publishing");
        await publishWhileLeader(session, signal);
        if (session.broken) throw session.broken;
      } catch (error) {
        if (signal.aborted) break;
        const retryInMs = backoff.next();
        logger.warn({ err: error, retryInMs }, "outbox relay lost its database session; retrying");
        await sleep(retryInMs, signal);
      } finally {
        leader = false;
        // Destroyed, never returned to the pool: ending the session frees the lock
        // and the LISTEN, which another user of a pooled connection must not inherit.
        session?.client.release(true);
      }
    }
  }

  async function becomeLeader(signal: AbortSignal): Promise<Session | undefined> {
    const session = await openSession();
    try {
      let waitingLogged = false;
      while (!signal.aborted) {
        if (session.broken) throw session.broken;
        const { rows } = await session.client.query<{ locked: boolean }>(
          "SELECT pg_try_advisory_lock($1) AS locked",
          [LEADER_LOCK.toString()],
        );
        if (rows[0]?.locked) {
          await session.client.query("LISTEN outbox");
          return session;
        }
        if (!waitingLogged) logger.info("another outbox relay is the leader; standing by");
        waitingLogged = true;
        await sleep(pollMs, signal);
      }
    } catch (error) {
      session.client.release(true);
      throw error;
    }
    session.client.release(true);
    return undefined;
  }

  async function openSession(): Promise<Session> {
    const client = await pool.connect();
    let notified = false;
    let wake: (() => void) | undefined;
    const session: Session = {
      client,
      async waitForNotify(ms, signal) {
        if (!notified && !session.broken) {
          const controller = new AbortController();
          const stop = () => controller.abort();
          signal.addEventListener("abort", stop, { once: true });
          wake = stop;
          await sleep(ms, controller.signal);
          signal.removeEventListener("abort", stop);
          wake = undefined;
        }
        notified = false;
      },
    };
    client.on("notification", (message: Notification) => {
      if (message.channel !== "outbox") return;
      notified = true;
      wake?.();
    });
    // A session ended by the server while idle: stop waiting and reconnect.
    client.on("error", (error: Error) => {
      session.broken = error;
      wake?.();
    });
    return session;
  }

  async function publishWhileLeader(session: Session, signal: AbortSignal): Promise<void> {
    const { client } = session;
    const backoff = createBackoff(options.retry);
    let nextPruneAt = 0;
    let lastEventAt = Date.now();
    // What writers were last told; a new leader starts polling, writers silent.
    let listening = true;
    const setListening = async (value: boolean) => {
      if (listening === value) return;
      await client.query("UPDATE outbox_relay SET listening = $1", [value]);
      listening = value;
    };
    await setListening(false);
    while (!signal.aborted && !session.broken) {
      const { rows } = await client.query<{ id: string; stream: string; envelope: Buffer }>(
        "SELECT id, stream, envelope FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT $1",
        [batchSize],
      );
      let failure: unknown;
      let published = false;
      if (rows.length > 0 && !signal.aborted) {
        try {
          // The batch in one round trip, all or none, in id order.
          await bus.publishAll(rows);
          published = true;
        } catch (error) {
          failure = error;
        }
      }
      if (published) {
        await client.query("UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])", [
          rows.map((r) => r.id),
        ]);
      }
      if (failure !== undefined) {
        const retryInMs = backoff.next();
        logger.warn(
          { err: failure, retryInMs, failures: backoff.failures },
          "publishing an outbox event failed; retrying",
        );
        await sleep(retryInMs, signal);
        continue;
      }
      if (backoff.failures > 0) logger.info("publishing outbox events resumed");
      backoff.reset();
      if (retentionMs > 0 && Date.now() >= nextPruneAt) {
        nextPruneAt = Date.now() + PRUNE_EVERY_MS;
        await client.query(
          "DELETE FROM outbox WHERE published_at < now() - make_interval(secs => $1)",
          [retentionMs / 1_000],
        );
      }
      if (rows.length > 0) {
        lastEventAt = Date.now();
        await setListening(false);
        if (rows.length < batchSize) await sleep(activePollMs, signal);
      } else if (!listening && Date.now() - lastEventAt < idleAfterMs) {
        await sleep(activePollMs, signal);
      } else if (!listening) {
        // Look once more after saying so: a row committed just before was not notified.
        await setListening(true);
      } else {
        await session.waitForNotify(pollMs, signal);
      }
    }
  }

  return {
    start() {
      if (running) return;
      controller = new AbortController();
      const signal = controller.signal;
      running = run(signal).catch((error: unknown) => {
        logger.error({ err: error }, "outbox relay stopped by an error");
      });
    },
    async stop() {
      controller?.abort();
      await running;
      running = undefined;
      controller = undefined;
    },
    isLeader: () => leader,
    async lagSeconds() {
      const { rows } = await pool.query<{ lag: number }>(
        `SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 AS lag
           FROM outbox WHERE published_at IS NULL`,
      );
      return Math.max(0, rows[0]?.lag ?? 0);
    },
  };
}

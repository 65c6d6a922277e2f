/**
 * The read loops behind `consume` and `tail`, shared by the Redis and the memory bus so
 * both have the same semantics: a bus only supplies the stream primitives (a "source").
 */
import type { Logger } from "../logging";
import { type BackoffOptions, createBackoff, sleep } from "./backoff";
import type { EntryHandler, StreamEntry, Subscription } from "./event-bus";

/** The consumer-group primitives of one bus, for one member of one group. */
export interface GroupSource {
  /** Creates the group (and stream) if missing; existing ones are left as they are. */
  prepare(): Promise<void>;
  /** Takes over entries pending on any member for at least `minIdleMs`. */
  claimIdle(count: number, minIdleMs: number): Promise<StreamEntry[]>;
  /** Entries never delivered to the group, waiting up to `blockMs` for some. */
  readNew(count: number, blockMs: number, signal: AbortSignal): Promise<StreamEntry[]>;
  ack(id: string): Promise<void>;
  close(): Promise<void>;
}

/** The tail primitives of one bus, for one subscriber. */
export interface TailSource {
  /** The id of the stream's last entry now ("0-0" if none): the tail starts after it. */
  start(): Promise<string>;
  readAfter(
    position: string,
    count: number,
    blockMs: number,
    signal: AbortSignal,
  ): Promise<StreamEntry[]>;
  close(): Promise<void>;
}

export interface GroupLoopOptions {
  handler: EntryHandler;
  batchSize: number;
  blockMs: number;
  claimIdleMs: number;
  retry?: BackoffOptions;
  logger: Logger;
}

export interface TailLoopOptions {
  handler: EntryHandler;
  blockMs: number;
  retry?: BackoffOptions;
  logger: Logger;
}

const TAIL_BATCH = 100;

/** Runs one consumer-group member until closed. */
export function runGroupLoop(source: GroupSource, options: GroupLoopOptions): Subscription {
  const { handler, batchSize, claimIdleMs, logger } = options;
  // Checking twice per idle period bounds how long an orphaned entry waits to about
  // 1.5 x claimIdleMs, and costs one cheap XAUTOCLAIM per period when nothing is idle.
  const claimEveryMs = Math.max(10, Math.floor(claimIdleMs / 2));
  return runLoop(options.logger, async (signal, markReady) => {
    const backoff = createBackoff(options.retry);
    let prepared = false;
    // The first pass claims at once: entries a crashed predecessor left are not held
    // back for a full period after a restart.
    let nextClaimAt = 0;
    while (!signal.aborted) {
      try {
        if (!prepared) {
          await source.prepare();
          prepared = true;
          markReady();
        }
        let entries: StreamEntry[] = [];
        if (Date.now() >= nextClaimAt) {
          entries = await source.claimIdle(batchSize, claimIdleMs);
          // A full batch means more may be idle: claim again before reading new entries.
          if (entries.length < batchSize) nextClaimAt = Date.now() + claimEveryMs;
        }
        if (entries.length === 0) {
          const wait = Math.min(options.blockMs, nextClaimAt - Date.now());
          entries = await source.readNew(batchSize, Math.max(1, wait), signal);
        }
        if (backoff.failures > 0) logger.info("event bus reads resumed");
        backoff.reset();
        for (const entry of entries) {
          // Entries not handled stay pending on this member and are claimed by another
          // after claimIdleMs: shutting down does not wait for a whole batch.
          if (signal.aborted) break;
          await deliver(entry);
        }
      } catch (error) {
        if (signal.aborted) break;
        const retryInMs = backoff.next();
        logger.warn({ err: error, retryInMs }, "event bus read failed; retrying");
        await sleep(retryInMs, signal);
      }
    }
    await source.close().catch(() => undefined);
  });

  async function deliver(entry: StreamEntry): Promise<void> {
    try {
      await handler(entry);
    } catch (error) {
      logger.error(
        { err: error, entryId: entry.id, retryAfterMs: claimIdleMs },
        "event handler failed; the entry stays pending and is delivered again",
      );
      return;
    }
    try {
      await source.ack(entry.id);
    } catch (error) {
      // Harmless beyond the extra delivery: handlers are idempotent through the inbox.
      logger.warn({ err: error, entryId: entry.id }, "ack failed; the entry will be redelivered");
    }
  }
}

/** Runs one tail subscriber until closed. */
export function runTailLoop(source: TailSource, options: TailLoopOptions): Subscription {
  const { handler, logger } = options;
  return runLoop(logger, async (signal, markReady) => {
    const backoff = createBackoff(options.retry);
    let position: string | undefined;
    while (!signal.aborted) {
      try {
        if (position === undefined) {
          position = await source.start();
          markReady();
        }
        const entries = await source.readAfter(position, TAIL_BATCH, options.blockMs, signal);
        if (backoff.failures > 0) logger.info("event bus reads resumed");
        backoff.reset();
        for (const entry of entries) {
          if (signal.aborted) break;
          position = entry.id;
          await handler(entry).catch((error: unknown) => {
            logger.error({ err: error, entryId: entry.id }, "tail handler failed; entry skipped");
          });
        }
      } catch (error) {
        if (signal.aborted) break;
        const retryInMs = backoff.next();
        logger.warn({ err: error, retryInMs }, "event bus tail read failed; retrying");
        await sleep(retryInMs, signal);
      }
    }
    await source.close().catch(() => undefined);
  });
}

function runLoop(
  logger: Logger,
  body: (signal: AbortSignal, markReady: () => void) => Promise<void>,
): Subscription {
  const controller = new AbortController();
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  const done = body(controller.signal, markReady)
    .catch((error: unknown) => logger.error({ err: error }, "event bus loop ended by an error"))
    .finally(markReady);
  return {
    ready,
    async close() {
      controller.abort();
      await done;
    },
  };
}

/** The subscriptions a bus has open, so closing the bus closes them. */
export function createSubscriptionSet() {
  const open = new Set<Subscription>();
  return {
    add(subscription: Subscription): Subscription {
      const tracked: Subscription = {
        ready: subscription.ready,
        async close() {
          open.delete(tracked);
          await subscription.close();
        },
      };
      open.add(tracked);
      return tracked;
    },
    async closeAll(): Promise<void> {
      await Promise.all([...open].map((s) => s.close()));
    },
  };
}

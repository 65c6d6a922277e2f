import { Redis, type RedisOptions } from "ioredis";
import type { Logger } from "../logging";
import type { BackoffOptions } from "./backoff";
import {
  type ConsumeOptions,
  DEFAULT_BATCH_SIZE,
  DEFAULT_BLOCK_MS,
  DEFAULT_CLAIM_IDLE_MS,
  DEFAULT_MAX_LEN,
  type EventBus,
  type StreamEntry,
  type TailOptions,
} from "./event-bus";
import { ENVELOPE_FIELD, entriesOf, envelopeOf, type RawEntry } from "./redis-stream-replies";
import {
  createSubscriptionSet,
  type GroupSource,
  runGroupLoop,
  runTailLoop,
  type TailSource,
} from "./subscription-loop";

export interface RedisEventBusOptions {
  /**
   * A factory of new connections, or the options to open them with. Every loop needs
   * its own connection (a blocking read holds one), so the bus opens several and closes
   * each one it opened. Options get `maxRetriesPerRequest: 1` unless they set it, so a
   * publish fails fast while Redis is down and the relay's backoff takes over.
   */
  redis: (() => Redis) | RedisOptions;
  logger: Logger;
  /** Prepended to every stream key, e.g. a test run's or an environment's namespace. */
  keyPrefix?: string;
  /** Entries kept per stream, trimmed with `MAXLEN ~` on XADD (default 100,000). */
  maxLen?: number;
  /** Backoff of the read loops while Redis is unreachable. */
  retry?: BackoffOptions;
}

interface Connection {
  readonly redis: Redis;
  /** Closes at once, failing a blocked read; safe to call again. */
  drop(): void;
}

/**
 * The event bus on Redis Streams: XADD with approximate trimming, consumer groups with
 * XREADGROUP / XACK / XAUTOCLAIM, tails with XREAD BLOCK. A group that vanished (Redis
 * restarted without persistence, the stream deleted) is created again by its members.
 * Redis must persist streams (AOF) in production: entries lost with a restart are not
 * re-published, because the outbox marked them published once XADD succeeded.
 */
export function createRedisEventBus(options: RedisEventBusOptions): EventBus {
  const { logger } = options;
  const prefix = options.keyPrefix ?? "";
  const maxLen = String(Math.max(1, options.maxLen ?? DEFAULT_MAX_LEN));
  const subscriptions = createSubscriptionSet();
  let commands: Connection | undefined;

  function connect(role: string): Connection {
    const redis =
      typeof options.redis === "function"
        ? options.redis()
        : new Redis({ maxRetriesPerRequest: 1, ...options.redis });
    // ioredis emits an error on every failed reconnect attempt; one line per outage
    // is enough, and without a listener ioredis would print them all to the console.
    let up = true;
    redis.on("error", (error: Error) => {
      if (up) logger.warn({ err: error, connection: role }, "redis connection lost; reconnecting");
      up = false;
    });
    redis.on("ready", () => {
      if (!up) logger.info({ connection: role }, "redis connection restored");
      up = true;
    });
    let dropped = false;
    return {
      redis,
      // Only once: a second disconnect() leaves ioredis' 2 s force-close timer running.
      drop() {
        if (dropped) return;
        dropped = true;
        redis.disconnect();
      },
    };
  }

  const commandConnection = () => {
    commands ??= connect("commands");
    return commands;
  };

  function groupSource(o: ConsumeOptions): GroupSource {
    const { redis, drop } = connect(`consume ${o.stream}`);
    const key = prefix + o.stream;
    let cursor = "0-0";
    const prepare = async () => {
      await untilReady(redis);
      try {
        await redis.call("XGROUP", "CREATE", key, o.group, "0", "MKSTREAM");
      } catch (error) {
        if (!String((error as Error).message).startsWith("BUSYGROUP")) throw error;
      }
    };
    // Entries without the envelope field (deleted, or written by something else) can
    // never be handled: acknowledged so they do not come back.
    const usable = async (raw: RawEntry[]): Promise<StreamEntry[]> => {
      const entries: StreamEntry[] = [];
      for (const [id, fields] of raw) {
        const envelope = envelopeOf(fields);
        if (envelope) entries.push({ stream: o.stream, id: id.toString(), envelope });
        else {
          logger.warn(
            { stream: o.stream, entryId: id.toString() },
            "entry without an envelope; acknowledged",
          );
          await redis.call("XACK", key, o.group, id);
        }
      }
      return entries;
    };
    const recreateOnNoGroup = async (error: unknown): Promise<StreamEntry[]> => {
      if (!String((error as Error).message).startsWith("NOGROUP")) throw error;
      logger.warn(
        { stream: o.stream, group: o.group },
        "consumer group missing; creating it again",
      );
      await prepare();
      return [];
    };
    return {
      prepare,
      async claimIdle(count, minIdleMs) {
        try {
          const reply = (await redis.callBuffer(
            "XAUTOCLAIM",
            key,
            o.group,
            o.consumer,
            String(minIdleMs),
            cursor,
            "COUNT",
            String(count),
          )) as [Buffer, RawEntry[] | null, ...unknown[]];
          cursor = reply[0].toString();
          // Redis 6.2 lists deleted entries as nil; 7 reports them apart and drops them.
          return await usable((reply[1] ?? []).filter((e) => Array.isArray(e)));
        } catch (error) {
          cursor = "0-0";
          return recreateOnNoGroup(error);
        }
      },
      async readNew(count, blockMs, signal) {
        // A blocked read can only be interrupted by dropping its connection.
        const onAbort = drop;
        signal.addEventListener("abort", onAbort, { once: true });
        try {
          const reply = await redis.callBuffer(
            "XREADGROUP",
            "GROUP",
            o.group,
            o.consumer,
            "COUNT",
            String(count),
            "BLOCK",
            String(blockMs),
            "STREAMS",
            key,
            ">",
          );
          return await usable(entriesOf(reply));
        } catch (error) {
          if (signal.aborted) return [];
          return recreateOnNoGroup(error);
        } finally {
          signal.removeEventListener("abort", onAbort);
        }
      },
      async ack(id) {
        await redis.call("XACK", key, o.group, id);
      },
      async close() {
        drop();
      },
    };
  }

  function tailSource(o: TailOptions): TailSource {
    const { redis, drop } = connect(`tail ${o.stream}`);
    const key = prefix + o.stream;
    return {
      async start() {
        await untilReady(redis);
        const last = (await redis.call("XREVRANGE", key, "+", "-", "COUNT", "1")) as [
          string,
          unknown,
        ][];
        return last[0]?.[0] ?? "0-0";
      },
      async readAfter(position, count, blockMs, signal) {
        const onAbort = drop;
        signal.addEventListener("abort", onAbort, { once: true });
        try {
          const reply = await redis.callBuffer(
            "XREAD",
            "COUNT",
            String(count),
            "BLOCK",
            String(blockMs),
            "STREAMS",
            key,
            position,
          );
          const entries: StreamEntry[] = [];
          for (const [id, fields] of entriesOf(reply)) {
            const envelope = envelopeOf(fields);
            if (envelope) entries.push({ stream: o.stream, id: id.toString(), envelope });
          }
          return entries;
        } catch (error) {
          if (signal.aborted) return [];
          throw error;
        } finally {
          signal.removeEventListener("abort", onAbort);
        }
      },
      async close() {
        drop();
      },
    };
  }

  const xadd = (stream: string, envelope: Uint8Array) => [
    "xadd",
    prefix + stream,
    "MAXLEN",
    "~",
    String(maxLen),
    "*",
    ENVELOPE_FIELD,
    Buffer.from(envelope.buffer, envelope.byteOffset, envelope.byteLength),
  ];

  return {
    async publish(stream, envelope) {
      const { redis } = commandConnection();
      await untilReady(redis);
      const [command, ...args] = xadd(stream, envelope) as [string, ...(string | Buffer)[]];
      return String(await redis.callBuffer(command, ...args));
    },
    async publishAll(entries) {
      if (entries.length === 0) return [];
      const { redis } = commandConnection();
      await untilReady(redis);
      // MULTI/EXEC: the batch is appended in order with nothing in between, or not at all.
      const replies = await redis.multi(entries.map((e) => xadd(e.stream, e.envelope))).exec();
      if (!replies) throw new Error("the publishing transaction was aborted");
      return replies.map(([error, id]) => {
        if (error) throw error;
        return String(id);
      });
    },
    consume(o) {
      return subscriptions.add(
        runGroupLoop(groupSource(o), {
          handler: o.handler,
          batchSize: o.batchSize ?? DEFAULT_BATCH_SIZE,
          blockMs: o.blockMs ?? DEFAULT_BLOCK_MS,
          claimIdleMs: o.claimIdleMs ?? DEFAULT_CLAIM_IDLE_MS,
          ...(options.retry ? { retry: options.retry } : {}),
          logger: logger.child({ stream: o.stream, group: o.group, consumer: o.consumer }),
        }),
      );
    },
    tail(o) {
      return subscriptions.add(
        runTailLoop(tailSource(o), {
          handler: o.handler,
          blockMs: o.blockMs ?? DEFAULT_BLOCK_MS,
          ...(options.retry ? { retry: options.retry } : {}),
          logger: logger.child({ stream: o.stream, tail: true }),
        }),
      );
    },
    async pending(stream, group) {
      try {
        const summary = (await commandConnection().redis.call(
          "XPENDING",
          prefix + stream,
          group,
        )) as [number, ...unknown[]];
        return Number(summary[0]);
      } catch (error) {
        if (String((error as Error).message).startsWith("NOGROUP")) return 0;
        throw error;
      }
    },
    async close() {
      await subscriptions.closeAll();
      commands?.drop();
      commands = undefined;
    },
  };
}

/**
 * Waits (briefly) for a connection still being opened: clients made without an offline
 * queue (libs' createRedis) reject commands sent before they are ready. During an
 * outage the wait ends after `maxMs` and the command fails as it would have.
 */
function untilReady(redis: Redis, maxMs = 1_000): Promise<void> {
  if (redis.status === "ready") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off("ready", done);
      resolve();
    };
    const timer = setTimeout(done, maxMs);
    redis.once("ready", done);
  });
}

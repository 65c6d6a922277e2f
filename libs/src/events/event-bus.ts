/**
 * The event bus: append-only streams of binary envelopes, read either by consumer
 * groups (each entry handled by one member of the group, acknowledged after handling,
 * reclaimed from members that stopped) or by tail subscriptions (every subscriber sees
 * every entry added after it subscribed). Redis Streams in production
 * (redis-event-bus.ts), memory in the embedded mode (memory-event-bus.ts); both pass
 * the same contract tests.
 */

/** One entry of a stream. */
export interface StreamEntry {
  /** The logical stream name, e.g. "events.order-service". */
  readonly stream: string;
  /** The entry id, `<ms>-<seq>`, increasing within a stream. */
  readonly id: string;
  /** The binary `EventEnvelope`. */
  readonly envelope: Uint8Array;
}

export type EntryHandler = (entry: StreamEntry) => Promise<void>;

export interface ConsumeOptions {
  stream: string;
  /** The consumer group: the consuming service's name. Created at the stream's start if missing. */
  group: string;
  /** This instance's name within the group, unique per process (e.g. the pod name). */
  consumer: string;
  /**
   * Resolving acknowledges the entry; throwing leaves it pending, and it is delivered
   * again (to any member) once it has been idle for `claimIdleMs`.
   */
  handler: EntryHandler;
  /** Entries read at once (default 32). */
  batchSize?: number;
  /** How long one read waits for new entries (default 2 s); bounds how fast close() returns. */
  blockMs?: number;
  /**
   * Entries pending this long on any member (a crashed instance, a failed handler) are
   * claimed and delivered again (default 30 s). Keep it above the slowest handler.
   */
  claimIdleMs?: number;
}

export interface TailOptions {
  stream: string;
  /** Errors are logged and the entry skipped: a tail has no redelivery. */
  handler: EntryHandler;
  /** How long one read waits for new entries (default 2 s). */
  blockMs?: number;
}

export interface Subscription {
  /**
   * Resolves once the subscription is in place: the group exists, or the tail's start
   * is fixed (entries added after this are delivered). Also resolves on close.
   */
  readonly ready: Promise<void>;
  /** Stops reading and waits for the handler in progress to finish. */
  close(): Promise<void>;
}

export interface EventBus {
  /** Appends an envelope to `stream` and returns the entry id. */
  publish(stream: string, envelope: Uint8Array): Promise<string>;
  /**
   * Appends several envelopes, in order, all or none (Redis: one MULTI/EXEC, a single
   * round trip): the outbox relay's batch. Resolves the entry ids in the same order.
   */
  publishAll(entries: readonly { stream: string; envelope: Uint8Array }[]): Promise<string[]>;
  /** Reads `stream` as one member of a consumer group. */
  consume(options: ConsumeOptions): Subscription;
  /** Delivers every entry added to `stream` from now on, to this subscriber. */
  tail(options: TailOptions): Subscription;
  /** Entries delivered to `group` and not yet acknowledged (for metrics and tests). */
  pending(stream: string, group: string): Promise<number>;
  /** Closes every open subscription, then the bus's own connections. */
  close(): Promise<void>;
}

export const DEFAULT_BATCH_SIZE = 32;
export const DEFAULT_BLOCK_MS = 2_000;
export const DEFAULT_CLAIM_IDLE_MS = 30_000;
/** Entries kept per stream; older ones are trimmed (approximately, on Redis). */
export const DEFAULT_MAX_LEN = 100_000;

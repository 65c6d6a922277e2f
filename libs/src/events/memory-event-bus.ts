import { createLogger, type Logger } from "../logging";
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
import {
  createSubscriptionSet,
  type GroupSource,
  runGroupLoop,
  runTailLoop,
  type TailSource,
} from "./subscription-loop";

export interface MemoryEventBusOptions {
  /** Handler failures are logged here; default a logger named "event-bus". */
  logger?: Logger;
  /** Entries kept per stream (default 100,000). */
  maxLen?: number;
  retry?: BackoffOptions;
}

interface StoredEntry {
  readonly id: string;
  readonly ms: number;
  readonly seq: number;
  readonly envelope: Uint8Array;
}

interface MemoryGroup {
  /** The last entry delivered to the group (Redis' last-delivered-id). */
  last: { ms: number; seq: number };
  /** Delivered, not yet acknowledged, in id order (Redis' PEL). */
  readonly pending: Map<string, { consumer: string; deliveredAt: number }>;
}

interface MemoryStream {
  readonly entries: StoredEntry[];
  readonly byId: Map<string, StoredEntry>;
  readonly groups: Map<string, MemoryGroup>;
  /** Blocked readers, woken by the next publish. */
  readonly waiters: Set<() => void>;
  last: { ms: number; seq: number };
}

/**
 * The event bus in one process, for the embedded mode (no Redis): the same stream,
 * group and tail semantics as Redis Streams, including ids, pending entries and claims
 * after idle time, so code tested against it behaves the same on Redis. Nothing
 * survives the process.
 */
export function createMemoryEventBus(options: MemoryEventBusOptions = {}): EventBus {
  const logger = options.logger ?? createLogger({ service: "event-bus" });
  const maxLen = Math.max(1, options.maxLen ?? DEFAULT_MAX_LEN);
  const streams = new Map<string, MemoryStream>();
  const subscriptions = createSubscriptionSet();

  function streamOf(name: string): MemoryStream {
    let stream = streams.get(name);
    if (!stream) {
      stream = {
        entries: [],
        byId: new Map(),
        groups: new Map(),
        waiters: new Set(),
        last: { ms: 0, seq: 0 },
      };
      streams.set(name, stream);
    }
    return stream;
  }

  const toEntry = (name: string, e: StoredEntry): StreamEntry => ({
    stream: name,
    id: e.id,
    // A copy per delivery: one subscriber cannot change what another receives.
    envelope: e.envelope.slice(),
  });

  function groupSource(o: ConsumeOptions): GroupSource {
    const stream = streamOf(o.stream);
    const group = (): MemoryGroup => {
      const existing = stream.groups.get(o.group);
      if (existing) return existing;
      const created = { last: { ms: 0, seq: 0 }, pending: new Map() };
      stream.groups.set(o.group, created);
      return created;
    };
    const takeNew = (count: number): StreamEntry[] => {
      const g = group();
      const start = indexAfter(stream.entries, g.last);
      const taken = stream.entries.slice(start, start + count);
      const now = Date.now();
      for (const e of taken) g.pending.set(e.id, { consumer: o.consumer, deliveredAt: now });
      const lastTaken = taken.at(-1);
      if (lastTaken) g.last = { ms: lastTaken.ms, seq: lastTaken.seq };
      return taken.map((e) => toEntry(o.stream, e));
    };
    return {
      async prepare() {
        group();
      },
      async claimIdle(count, minIdleMs) {
        const g = group();
        const now = Date.now();
        const claimed: StreamEntry[] = [];
        for (const [id, p] of g.pending) {
          if (claimed.length >= count) break;
          if (now - p.deliveredAt < minIdleMs) continue;
          const stored = stream.byId.get(id);
          // Trimmed while pending: like Redis 7, the claim drops it from the pending list.
          if (!stored) {
            g.pending.delete(id);
            continue;
          }
          p.consumer = o.consumer;
          p.deliveredAt = now;
          claimed.push(toEntry(o.stream, stored));
        }
        return claimed;
      },
      async readNew(count, blockMs, signal) {
        const ready = takeNew(count);
        if (ready.length > 0) return ready;
        await waitForPublish(stream, blockMs, signal);
        return signal.aborted ? [] : takeNew(count);
      },
      async ack(id) {
        group().pending.delete(id);
      },
      async close() {},
    };
  }

  function tailSource(o: TailOptions): TailSource {
    const stream = streamOf(o.stream);
    const after = (position: string, count: number) => {
      const start = indexAfter(stream.entries, parseId(position));
      return stream.entries.slice(start, start + count).map((e) => toEntry(o.stream, e));
    };
    return {
      async start() {
        return `${stream.last.ms}-${stream.last.seq}`;
      },
      async readAfter(position, count, blockMs, signal) {
        const ready = after(position, count);
        if (ready.length > 0) return ready;
        await waitForPublish(stream, blockMs, signal);
        return signal.aborted ? [] : after(position, count);
      },
      async close() {},
    };
  }

  const bus: EventBus = {
    async publish(name, envelope) {
      const stream = streamOf(name);
      const now = Date.now();
      // Redis' id rule: milliseconds, and a sequence when the clock has not moved on.
      const ms = Math.max(now, stream.last.ms);
      const seq = ms === stream.last.ms ? stream.last.seq + 1 : 0;
      const entry: StoredEntry = { id: `${ms}-${seq}`, ms, seq, envelope: envelope.slice() };
      stream.last = { ms, seq };
      stream.entries.push(entry);
      stream.byId.set(entry.id, entry);
      if (stream.entries.length > maxLen) {
        for (const old of stream.entries.splice(0, stream.entries.length - maxLen)) {
          stream.byId.delete(old.id);
        }
      }
      for (const wake of [...stream.waiters]) wake();
      return entry.id;
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
    async pending(name, group) {
      return streams.get(name)?.groups.get(group)?.pending.size ?? 0;
    },
    close: () => subscriptions.closeAll(),
    async publishAll(entries) {
      const ids: string[] = [];
      for (const { stream, envelope } of entries) ids.push(await bus.publish(stream, envelope));
      return ids;
    },
  };
  return bus;
}

function parseId(id: string): { ms: number; seq: number } {
  const [ms, seq] = id.split("-");
  return { ms: Number(ms ?? 0), seq: Number(seq ?? 0) };
}

/** The index of the first entry with an id above `after` (entries are in id order). */
function indexAfter(entries: readonly StoredEntry[], after: { ms: number; seq: number }): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    const e = entries[mid]!;
    if (e.ms < after.ms || (e.ms === after.ms && e.seq <= after.seq)) low = mid + 1;
    else high = mid;
  }
  return low;
}

function waitForPublish(stream: MemoryStream, ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      stream.waiters.delete(done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    stream.waiters.add(done);
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * The last good response per route and query, kept in memory to answer public reads
 * while their backend is down (stale-if-error). Bounded three ways: entries, total
 * encoded bytes and age, evicting the least recently used first. It is a fallback, not
 * a cache: fresh answers always come from the backend.
 */
import type { Message } from "@bufbuild/protobuf";

export interface LastGood {
  readonly message: Message;
  /** When it was stored (ms since epoch). */
  readonly storedAt: number;
}

export interface LastGoodCache {
  get(key: string): LastGood | undefined;
  /** `size` is the reply's encoded size; replies larger than the whole budget are skipped. */
  set(key: string, message: Message, size: number): void;
  readonly size: number;
}

export interface LastGoodCacheOptions {
  maxEntries: number;
  maxBytes: number;
  maxAgeMs: number;
  now?: () => number;
}

interface Entry extends LastGood {
  readonly bytes: number;
}

export function createLastGoodCache(options: LastGoodCacheOptions): LastGoodCache {
  const now = options.now ?? Date.now;
  // A Map iterates in insertion order: re-inserting on use keeps the oldest first.
  const entries = new Map<string, Entry>();
  let bytes = 0;
  const remove = (key: string, entry: Entry) => {
    entries.delete(key);
    bytes -= entry.bytes;
  };
  return {
    get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (now() - entry.storedAt > options.maxAgeMs) {
        remove(key, entry);
        return undefined;
      }
      entries.delete(key);
      entries.set(key, entry);
      return entry;
    },
    set(key, message, size) {
      const previous = entries.get(key);
      if (previous) remove(key, previous);
      if (options.maxEntries === 0 || size > options.maxBytes) return;
      entries.set(key, { message, storedAt: now(), bytes: size });
      bytes += size;
      for (const [oldKey, oldEntry] of entries) {
        if (entries.size <= options.maxEntries && bytes <= options.maxBytes) break;
        remove(oldKey, oldEntry);
      }
    },
    get size() {
      return entries.size;
    },
  };
}

/**
 * The last good response per route and query, kept in memory to answer public reads
 * while their backend is down (stale-if-error). Bounded three ways: entries, total
 * encoded bytes and age, evicting the least recently used first. It is a fallback, not
 * a cache: fresh answers always come from the backend.
 */
import type { Message } from "@bufbuild/protobuf";
import { createBoundedLru } from "./bounded-lru";

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

export function createLastGoodCache(options: LastGoodCacheOptions): LastGoodCache {
  const now = options.now ?? Date.now;
  const entries = createBoundedLru<LastGood>(options);
  return {
    get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (now() - entry.storedAt > options.maxAgeMs) {
        entries.delete(key);
        return undefined;
      }
      return entry;
    },
    set(key, message, size) {
      entries.set(key, { message, storedAt: now() }, size);
    },
    get size() {
      return entries.size;
    },
  };
}

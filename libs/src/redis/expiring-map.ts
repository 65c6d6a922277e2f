/** A process-local map whose entries expire; the store of the in-memory implementations. */
export interface ExpiringMap<V> {
  get(key: string): V | undefined;
  /** Milliseconds until `key` expires, or 0 when it is absent. */
  ttl(key: string): number;
  set(key: string, value: V, ttlMs: number): void;
  delete(key: string): void;
  readonly size: number;
}

interface Entry<V> {
  value: V;
  expiresAt: number;
}

/**
 * Expired entries are dropped when read, and swept when the map reaches `maxEntries`;
 * if it is still full, the least recently written entry goes, so memory stays bounded
 * however many distinct keys (client addresses, users) pass through.
 */
export function createExpiringMap<V>(
  maxEntries: number,
  now: () => number = () => performance.now(),
): ExpiringMap<V> {
  const entries = new Map<string, Entry<V>>();

  const live = (key: string): Entry<V> | undefined => {
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > now()) return entry;
    entries.delete(key);
    return undefined;
  };

  const makeRoom = () => {
    const at = now();
    for (const [key, entry] of entries) if (entry.expiresAt <= at) entries.delete(key);
    // Down to 90 %, so that a map full of live entries is not swept on every write.
    while (entries.size > 0 && entries.size >= Math.floor(maxEntries * 0.9)) {
      const oldest = entries.keys().next().value as string;
      entries.delete(oldest);
    }
  };

  return {
    get: (key) => live(key)?.value,
    ttl: (key) => {
      const entry = live(key);
      return entry ? entry.expiresAt - now() : 0;
    },
    set(key, value, ttlMs) {
      // Deleting first moves the key to the end of the insertion order: "recently written".
      entries.delete(key);
      if (entries.size >= maxEntries) makeRoom();
      entries.set(key, { value, expiresAt: now() + ttlMs });
    },
    delete: (key) => {
      entries.delete(key);
    },
    get size() {
      return entries.size;
    },
  };
}

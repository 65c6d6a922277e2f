/**
 * A least-recently-used map bounded by entry count and by total size in bytes: the
 * store of the gateway's in-memory caches (the response cache, the last-good
 * fallback). A Map iterates in insertion order, so re-inserting on use keeps the
 * least recently used first, where eviction starts.
 */
export interface BoundedLru<V> {
  /** The value, now the most recently used; undefined when absent. */
  get(key: string): V | undefined;
  /**
   * Stores `value`, counting `bytes` against the budget, and evicts from the least
   * recently used end until both bounds hold. A value larger than the whole byte
   * budget is not stored (false), and any previous value of `key` is dropped.
   */
  set(key: string, value: V, bytes: number): boolean;
  delete(key: string): void;
  readonly size: number;
  readonly bytes: number;
}

export interface BoundedLruOptions<V> {
  maxEntries: number;
  maxBytes: number;
  /** Called for every value that leaves the map (evicted, replaced or deleted). */
  onRemove?: (key: string, value: V) => void;
}

export function createBoundedLru<V>(options: BoundedLruOptions<V>): BoundedLru<V> {
  const entries = new Map<string, { value: V; bytes: number }>();
  let bytes = 0;
  const remove = (key: string) => {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    bytes -= entry.bytes;
    options.onRemove?.(key, entry.value);
  };
  return {
    get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      entries.delete(key);
      entries.set(key, entry);
      return entry.value;
    },
    set(key, value, size) {
      remove(key);
      if (options.maxEntries === 0 || size > options.maxBytes) return false;
      entries.set(key, { value, bytes: size });
      bytes += size;
      for (const oldest of entries.keys()) {
        if (entries.size <= options.maxEntries && bytes <= options.maxBytes) break;
        remove(oldest);
      }
      return true;
    },
    delete: remove,
    get size() {
      return entries.size;
    },
    get bytes() {
      return bytes;
    },
  };
}

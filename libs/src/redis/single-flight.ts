/** What a running load can ask: was its key invalidated since it started? */
export interface Flight {
  readonly stale: boolean;
}

/** Deduplicates concurrent work per key within this process. */
export interface SingleFlight {
  /** Joins the run in flight for `key`, or starts `work` as the one run. */
  run<T>(key: string, work: (flight: Flight) => Promise<T>): Promise<T>;
  /**
   * Marks the run in flight for `key` stale and detaches it: it finishes for those who
   * already wait on it, and whoever asks after this starts a fresh run.
   */
  invalidate(key: string): void;
}

interface Running {
  stale: boolean;
  promise: Promise<unknown>;
}

export function createSingleFlight(): SingleFlight {
  const running = new Map<string, Running>();
  return {
    run<T>(key: string, work: (flight: Flight) => Promise<T>): Promise<T> {
      const existing = running.get(key);
      if (existing) return existing.promise as Promise<T>;
      const entry: Running = { stale: false, promise: Promise.resolve() };
      // Registered before the work starts, so that work failing at once still unregisters.
      running.set(key, entry);
      entry.promise = (async () => {
        try {
          return await work(entry);
        } finally {
          if (running.get(key) === entry) running.delete(key);
        }
      })();
      return entry.promise as Promise<T>;
    },
    invalidate(key) {
      const entry = running.get(key);
      if (!entry) return;
      entry.stale = true;
      running.delete(key);
    },
  };
}

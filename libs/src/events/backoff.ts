/** Capped exponential backoff for loops that retry while Redis or PostgreSQL is down. */
export interface Backoff {
  /** The delay before the next attempt; doubles per call up to the cap, with jitter. */
  next(): number;
  /** Called after a success: the next failure starts from the initial delay again. */
  reset(): void;
  /** Failures since the last success. */
  readonly failures: number;
}

export interface BackoffOptions {
  /** Default 100 ms. */
  initialMs?: number;
  /** Default 5 s. */
  maxMs?: number;
}

export function createBackoff(options: BackoffOptions = {}): Backoff {
  const initialMs = Math.max(1, options.initialMs ?? 100);
  const maxMs = Math.max(initialMs, options.maxMs ?? 5_000);
  let failures = 0;
  return {
    next() {
      const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(failures, 30));
      failures += 1;
      // Half fixed, half random: replicas that lost Redis together do not retry in step.
      return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
    },
    reset() {
      failures = 0;
    },
    get failures() {
      return failures;
    },
  };
}

/** Waits `ms`, or less if `signal` aborts first; never rejects. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener("abort", done, { once: true });
  });
}

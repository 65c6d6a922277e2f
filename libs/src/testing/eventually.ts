import { setTimeout as sleep } from "node:timers/promises";

/**
 * Test support: waits until `check` returns a value other than undefined/false, polling
 * every `intervalMs`; fails with `what` after `timeoutMs`. Waiting for a condition, not
 * for a time, keeps tests free of timing assumptions.
 */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 10_000, intervalMs = 20 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    }
    await sleep(intervalMs);
  }
}

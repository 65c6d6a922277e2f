import { Redis } from "ioredis";
import type { Logger } from "../logging";

export type { Redis } from "ioredis";

export interface RedisConfig {
  /** redis://[user:password@]host:port[/db] */
  url: string;
  /** The connection's purpose, e.g. "cache" or "events": in CLIENT LIST and in logs. */
  name: string;
  logger: Logger;
  /** Give up on a TCP connect after this long, then retry (default 5 s). */
  connectTimeoutMs?: number;
  /**
   * Fail a command that got no reply within this long. Unset by default because it
   * also cuts blocking reads (XREADGROUP BLOCK); set it for request-path clients.
   */
  commandTimeoutMs?: number;
  /**
   * Send the commands issued in one event-loop turn as one write (ioredis
   * auto-pipelining): one syscall for the rate-limit scripts of many concurrent requests
   * instead of one each. For request-path clients; a connection that blocks on stream
   * reads gains nothing from it.
   */
  autoPipelining?: boolean;
}

/** The longest pause between reconnect attempts. */
const MAX_RECONNECT_DELAY_MS = 2_000;

/**
 * The one way libs open a Redis connection. Commands fail fast while disconnected
 * (no offline queue, one retry at most) so callers fall back at once instead of
 * queueing requests behind an outage; the client reconnects forever in the background
 * with capped exponential backoff. Connect and disconnect are logged once each per
 * transition, not once per failed retry.
 */
export function createRedis(config: RedisConfig): Redis {
  const redis = new Redis(config.url, {
    connectionName: config.name,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: config.connectTimeoutMs ?? 5_000,
    ...(config.commandTimeoutMs !== undefined ? { commandTimeout: config.commandTimeoutMs } : {}),
    lazyConnect: false,
    enableAutoPipelining: config.autoPipelining ?? false,
    // ioredis arms this timer on disconnect even when the socket is already closed
    // (closing while reconnecting), which holds the process for its length; a socket
    // still open is cut after it.
    disconnectTimeout: 500,
    // Jittered, so replicas cut off together do not all reconnect in the same instant.
    retryStrategy: (attempt) =>
      Math.min(MAX_RECONNECT_DELAY_MS, 50 * 2 ** Math.min(attempt, 6) + Math.random() * 50),
  });
  const log = config.logger.child({ redis: config.name });
  let everReady = false;
  let up = false;
  let outageLogged = false;
  redis.on("ready", () => {
    log.info(everReady ? "redis reconnected" : "redis connected");
    everReady = true;
    up = true;
    outageLogged = false;
  });
  // Without an "error" listener ioredis prints every failed reconnect to the console.
  redis.on("error", (error: Error) => {
    if (outageLogged) return;
    outageLogged = true;
    log.warn({ err: error }, "redis unavailable, reconnecting in the background");
  });
  // "reconnecting" rather than "close": a deliberate quit closes without reconnecting.
  redis.on("reconnecting", () => {
    if (!up) return;
    up = false;
    if (outageLogged) return;
    outageLogged = true;
    log.warn("redis connection lost, reconnecting in the background");
  });
  return redis;
}

/** True when commands can be sent now; use it to report Redis in /ready bodies and metrics. */
export function redisIsUp(redis: Redis): boolean {
  return redis.status === "ready";
}

/** Resolves true once the client is ready, or false after `timeoutMs`. Never throws. */
export function whenRedisReady(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redisIsUp(redis)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ready: boolean) => {
      clearTimeout(timer);
      redis.off("ready", onReady);
      resolve(ready);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    redis.on("ready", onReady);
  });
}

/** Closes the connection for shutdown: QUIT when connected, otherwise just stop reconnecting. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === "end") return;
  if (redisIsUp(redis)) {
    try {
      await redis.quit();
      return;
    } catch {
      // The connection dropped during QUIT: fall through and cut it.
    }
  }
  redis.disconnect(false);
}

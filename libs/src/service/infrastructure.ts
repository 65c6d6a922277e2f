/**
 * The Redis-backed pieces a service uses, chosen once per process: Redis when it runs
 * as a normal process, in memory when the embedded mode runs the whole mesh in one
 * Node process without Redis. Services ask this object for a cache, a limiter, a
 * throttle or the bus and never see ioredis.
 */
import type { Redis } from "ioredis";
import type { EventBus } from "../events";
import { createMemoryEventBus, createRedisEventBus } from "../events";
import type { Logger } from "../logging";
import {
  type AttemptThrottle,
  type AttemptThrottleRules,
  type Cache,
  closeRedis,
  createMemoryAttemptThrottle,
  createMemoryCache,
  createMemoryRateLimiter,
  createRedis,
  createRedisAttemptThrottle,
  createRedisCache,
  createRedisRateLimiter,
  type RateLimiter,
  redisIsUp,
} from "../redis";

export interface Infrastructure {
  readonly kind: "redis" | "memory";
  cache(prefix: string): Cache;
  rateLimiter(prefix: string): RateLimiter;
  throttle(prefix: string, rules: AttemptThrottleRules): AttemptThrottle;
  readonly bus: EventBus;
  /** Whether the shared store is reachable (always true in memory). */
  isUp(): boolean;
  close(): Promise<void>;
}

/** Request-path commands give up after this long, so a hung Redis cannot stall calls. */
const COMMAND_TIMEOUT_MS = 500;

export function createRedisInfrastructure(options: {
  url: string;
  service: string;
  logger: Logger;
  /** Prepended to every key and stream: separates environments (or test runs) on one Redis. */
  keyPrefix?: string;
}): Infrastructure {
  const keyPrefix = options.keyPrefix ?? "";
  const redis: Redis = createRedis({
    url: options.url,
    name: options.service,
    logger: options.logger,
    commandTimeoutMs: COMMAND_TIMEOUT_MS,
    autoPipelining: true,
  });
  // The bus opens its own connections: blocking stream reads must not share one.
  const bus = createRedisEventBus({
    redis: () =>
      createRedis({ url: options.url, name: `${options.service}:bus`, logger: options.logger }),
    logger: options.logger,
    keyPrefix,
  });
  return {
    kind: "redis",
    cache: (prefix) =>
      createRedisCache({ redis, prefix: keyPrefix + prefix, logger: options.logger }),
    rateLimiter: (prefix) => createRedisRateLimiter({ redis, prefix: keyPrefix + prefix }),
    throttle: (prefix, rules) =>
      createRedisAttemptThrottle({ redis, prefix: keyPrefix + prefix, ...rules }),
    bus,
    isUp: () => redisIsUp(redis),
    async close() {
      await bus.close();
      await closeRedis(redis);
    },
  };
}

/**
 * In-memory adapters. `bus` is passed in by the embedded launcher so that all services
 * of the process share one bus, as they would share Redis.
 */
export function createMemoryInfrastructure(options: { bus?: EventBus } = {}): Infrastructure {
  const bus = options.bus ?? createMemoryEventBus();
  return {
    kind: "memory",
    cache: (prefix) => createMemoryCache({ prefix }),
    rateLimiter: (prefix) => createMemoryRateLimiter({ prefix }),
    throttle: (prefix, rules) => createMemoryAttemptThrottle({ prefix, ...rules }),
    bus,
    isUp: () => true,
    // A shared bus belongs to whoever created it.
    close: async () => (options.bus ? undefined : bus.close()),
  };
}

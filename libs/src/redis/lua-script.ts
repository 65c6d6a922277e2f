import { createHash } from "node:crypto";
import type { Redis } from "ioredis";

/** A Lua script run by its SHA1, loaded on demand. */
export interface LuaScript {
  run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown>;
}

/**
 * EVALSHA with a fallback to EVAL when the server does not know the script yet (first
 * use, restart, SCRIPT FLUSH), so the script's text crosses the network once per server
 * rather than on every call. Unlike `redis.defineCommand` it does not add methods to a
 * client other code shares.
 */
export function createLuaScript(source: string): LuaScript {
  const sha = createHash("sha1").update(source).digest("hex");
  return {
    async run(redis, keys, args) {
      try {
        return await redis.evalsha(sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (!String((error as Error | undefined)?.message).startsWith("NOSCRIPT")) throw error;
        return await redis.eval(source, keys.length, ...keys, ...args);
      }
    },
  };
}

import type { Redis } from "ioredis";
import { ServiceError } from "../errors";

/**
 * Deletes every key starting with `prefix`, walking the keyspace with SCAN so the
 * server never blocks. For test clean-up and maintenance commands; never on a request path.
 * @returns how many keys were deleted
 */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<number> {
  if (prefix.length === 0) {
    throw ServiceError.invalidArgument([{ field: "prefix", description: "must not be empty" }]);
  }
  // Glob characters in the prefix would widen the match: escape them.
  const pattern = `${prefix.replace(/[*?[\]\\]/g, "\\$&")}*`;
  let deleted = 0;
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    if (keys.length > 0) deleted += await redis.del(...keys);
    cursor = next;
  } while (cursor !== "0");
  return deleted;
}

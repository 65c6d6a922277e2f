/**
 * The gateway's response cache: rendered answers of the public reads the gateway's
 * policy lists under `edge.cache` (rendered into the runtime config's `responseCache`),
 * kept in memory as the exact bytes sent, with a strong ETag, so a hit costs a map
 * lookup and a conditional request costs a 304.
 *
 * Freshness comes from invalidation, not from the TTL, which is only a backstop:
 * - Every entry belongs to the backend that answered it, and to the ids named in its
 *   path (GetProduct's `{id}`); an entry without one (a listing, a search) may show any
 *   of the backend's entities.
 * - An event about entity X of a backend (product-service's ProductChanged and
 *   StockChanged, followed through the bus's tail subscription) drops the entries
 *   naming X and every entry naming no id.
 * - A successful write through this gateway (any RPC with side effects) drops all of its
 *   backend's entries at once, before the writer sees its answer, so a client reads its
 *   own write without waiting for the event.
 * - A load that started before an invalidation of its backend is not stored: the
 *   backend's generation changed meanwhile, and the answer may predate the write.
 * - While the event bus is unreachable, invalidations may be missed: the cache empties
 *   itself and serves nothing until the bus is back (`online`).
 *
 * The answer of a cached RPC must not depend on who calls; governance allows caching
 * only PUBLIC RPCs with NO_SIDE_EFFECTS.
 */
import { createHash } from "node:crypto";
import { createBoundedLru } from "./bounded-lru";

/** An answer as it is sent. */
export interface CachedAnswer {
  readonly body: Buffer;
  /** A strong validator of `body`: a quoted hash. */
  readonly etag: string;
  /** Response headers to replay (the backend's metadata as Grpc-Metadata-*). */
  readonly headers: Readonly<Record<string, readonly string[]>>;
  readonly expiresAt: number;
}

/** Where an answer came from and what invalidates it. */
export interface AnswerScope {
  /** The backend service that answered. */
  readonly backend: string;
  /** The ids its request names in the path; empty for listings. */
  readonly ids: readonly string[];
  readonly ttlMs: number;
  /** `generation(backend)` taken before the backend was called. */
  readonly generation: number;
}

export interface ResponseCache {
  /** The TTL of `rpcFullName`'s answers; undefined when the RPC is not cached. */
  ttlOf(rpcFullName: string): number | undefined;
  get(key: string): CachedAnswer | undefined;
  /** A counter that moves on every invalidation of `backend`; take it before loading. */
  generation(backend: string): number;
  /**
   * The answer with its ETag, stored unless `backend` was invalidated since
   * `scope.generation` was taken (then it is returned, not kept).
   */
  store(
    key: string,
    answer: { body: Buffer; headers: Readonly<Record<string, readonly string[]>> },
    scope: AnswerScope,
  ): CachedAnswer;
  /** Drops `backend`'s entries that may show entity `id`; without `id`, all of them. */
  invalidate(backend: string, id?: string): void;
  readonly size: number;
}

export interface ResponseCacheOptions {
  /** TTL per RPC full name: the RPCs whose answers are cached. */
  rules: Readonly<Record<string, { readonly ttlMs: number }>>;
  maxEntries: number;
  maxBytes: number;
  /** Whether invalidations can arrive (the bus is connected); default: always. */
  online?: () => boolean;
  now?: () => number;
}

/** A strong ETag of `body`. */
export function entityTag(body: Uint8Array): string {
  return `"${createHash("sha1").update(body).digest("base64url")}"`;
}

/**
 * Whether an If-None-Match header matches `etag`: `*`, or a list of tags compared
 * weakly, as RFC 9110 asks for If-None-Match (W/"x" matches "x").
 */
export function noneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === "*") return true;
  const bare = (tag: string) => (tag.startsWith("W/") ? tag.slice(2) : tag);
  const wanted = bare(etag);
  return header.split(",").some((tag) => bare(tag.trim()) === wanted);
}

export function createResponseCache(options: ResponseCacheOptions): ResponseCache {
  const now = options.now ?? Date.now;
  const online = options.online ?? (() => true);
  const generations = new Map<string, number>();
  // The keys of each backend's entries, by the id they name ("" for none).
  const index = new Map<string, Map<string, Set<string>>>();
  const scopes = new Map<string, { backend: string; tags: readonly string[] }>();

  const keysOf = (backend: string, tag: string) => {
    const tags = index.get(backend) ?? new Map<string, Set<string>>();
    index.set(backend, tags);
    const keys = tags.get(tag) ?? new Set<string>();
    tags.set(tag, keys);
    return keys;
  };
  const unindex = (key: string) => {
    const scope = scopes.get(key);
    if (!scope) return;
    scopes.delete(key);
    const tags = index.get(scope.backend);
    for (const tag of scope.tags) {
      const keys = tags?.get(tag);
      keys?.delete(key);
      if (keys?.size === 0) tags?.delete(tag);
    }
  };
  const entries = createBoundedLru<CachedAnswer>({
    maxEntries: options.maxEntries,
    maxBytes: options.maxBytes,
    onRemove: unindex,
  });
  const dropTag = (backend: string, tag: string) => {
    const keys = index.get(backend)?.get(tag);
    if (keys) for (const key of [...keys]) entries.delete(key);
  };

  const invalidate = (backend: string, id?: string) => {
    generations.set(backend, (generations.get(backend) ?? 0) + 1);
    if (id === undefined) {
      for (const tag of [...(index.get(backend)?.keys() ?? [])]) dropTag(backend, tag);
      return;
    }
    dropTag(backend, id);
    dropTag(backend, "");
  };

  return {
    ttlOf: (rpc) => options.rules[rpc]?.ttlMs,
    get(key) {
      if (!online()) {
        for (const backend of index.keys()) if (index.get(backend)?.size) invalidate(backend);
        return undefined;
      }
      const entry = entries.get(key);
      if (entry && entry.expiresAt <= now()) {
        entries.delete(key);
        return undefined;
      }
      return entry;
    },
    generation: (backend) => generations.get(backend) ?? 0,
    store(key, answer, scope) {
      const entry: CachedAnswer = {
        body: answer.body,
        etag: entityTag(answer.body),
        headers: answer.headers,
        expiresAt: now() + scope.ttlMs,
      };
      if ((generations.get(scope.backend) ?? 0) !== scope.generation || !online()) return entry;
      const bytes = entry.body.byteLength + key.length * 2 + 256;
      if (entries.set(key, entry, bytes)) {
        const tags = scope.ids.length > 0 ? scope.ids : [""];
        scopes.set(key, { backend: scope.backend, tags });
        for (const tag of tags) keysOf(scope.backend, tag).add(key);
      }
      return entry;
    },
    invalidate,
    get size() {
      return entries.size;
    },
  };
}

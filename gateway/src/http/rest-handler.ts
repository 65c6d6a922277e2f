/**
 * Serves one transcoded route: admit the call (auth, rate limit), read and decode the
 * request, call the RPC through the edge pipeline, and write proto3 JSON back. Unary
 * answers carry the backend's metadata as Grpc-Metadata-/Grpc-Trailer- headers;
 * server streams are newline-delimited JSON in grpc-gateway's framing, `{"result":...}`
 * per message and a final `{"error":...}` when the call fails (with the mapped HTTP
 * status when that happens before the first message).
 *
 * GETs of the RPCs the policy caches are answered from the response cache when it holds
 * the URL, after the same admission (auth, rate limit); their answers carry an ETag and
 * `Cache-Control: no-cache`, and a matching If-None-Match gets 304. A request's own
 * `Cache-Control: no-cache` skips the lookup (the fresh answer is stored).
 */
import { once } from "node:events";
import type { JsonValue, Message } from "@bufbuild/protobuf";
import { toServiceError } from "@shop/libs/errors";
import type { EdgePipeline } from "../edge/edge-pipeline";
import { type CachedAnswer, noneMatch, type ResponseCache } from "../edge/response-cache";
import type { RestBinding } from "../transcoding/http-rule-bindings";
import type { JsonCodec } from "../transcoding/json-codec";
import { decodeRestRequest } from "../transcoding/request-decoder";
import { edgeRequestFromHttp } from "./edge-request-from-http";
import { errorResponse } from "./error-writer";
import type { HttpExchange } from "./http-exchange";
import { metadataHeaders } from "./metadata-headers";
import { readBody } from "./request-body";

export interface RestHandlerOptions {
  pipeline: EdgePipeline;
  codec: JsonCodec;
  bodyLimit: number;
  trustedHops: number;
  /** Absent: nothing is cached. */
  responseCache?: ResponseCache;
  /** Counts cached routes' answers by how they were served. */
  onCacheLookup?: (rpc: string, result: "hit" | "miss" | "not_modified") => void;
}

export type RestHandler = (
  exchange: HttpExchange,
  binding: RestBinding,
  params: ReadonlyMap<string, string>,
) => Promise<void>;

export function createRestHandler(options: RestHandlerOptions): RestHandler {
  const { pipeline, codec, responseCache } = options;

  const sendCached = (
    exchange: HttpExchange,
    rpc: string,
    answer: CachedAnswer,
    result: "hit" | "miss",
  ) => {
    const headers = {
      ...answer.headers,
      etag: answer.etag,
      "cache-control": "no-cache",
      "x-gateway-cache": result,
    };
    if (noneMatch(exchange.req.headers["if-none-match"], answer.etag)) {
      options.onCacheLookup?.(rpc, "not_modified");
      exchange.sendEmpty(304, headers);
      return;
    }
    options.onCacheLookup?.(rpc, result);
    exchange.sendText(200, "application/json", answer.body, headers);
  };

  const render = (binding: RestBinding, message: Message): JsonValue => {
    const schema = binding.rpc.method.output;
    return binding.responseBody
      ? codec.fieldToJson(schema, message, binding.responseBody)
      : codec.toJson(schema, message);
  };

  return async (exchange, binding, params) => {
    const { rpc } = binding;
    const request = edgeRequestFromHttp(exchange.req, {
      requestId: exchange.requestId,
      trustedHops: options.trustedHops,
      signal: exchange.signal,
    });
    const admission = await pipeline.admit(request, { name: rpc.fullName, access: rpc.access });
    exchange.addHeaders(admission.headers);

    const ttlMs =
      exchange.req.method === "GET" && !rpc.streaming
        ? responseCache?.ttlOf(rpc.fullName)
        : undefined;
    const cacheKey = `${rpc.fullName} ${exchange.req.url ?? ""}`;
    // A client's Cache-Control: no-cache (or no-store) asks for the backend's answer.
    const fromBackend = /\bno-(cache|store)\b/i.test(exchange.req.headers["cache-control"] ?? "");
    if (ttlMs !== undefined && !fromBackend) {
      const hit = responseCache!.get(cacheKey);
      if (hit) return sendCached(exchange, rpc.fullName, hit, "hit");
    }
    // Taken before the call: an invalidation meanwhile keeps its answer out of the cache.
    const backend = ttlMs !== undefined ? pipeline.backendOf(rpc) : "";
    const generation = ttlMs !== undefined ? responseCache!.generation(backend) : 0;
    const body =
      binding.body.kind === "none" ? "" : await readBody(exchange.req, options.bodyLimit);
    const input = decodeRestRequest(codec, binding, { params, query: exchange.query, body });

    if (!rpc.streaming) {
      const outcome = await pipeline.unary(request, rpc, input, {
        // Only reads are replayed from the last good answer; the key is path and query.
        ...(exchange.req.method === "GET" ? { fallbackKey: exchange.req.url ?? "" } : {}),
      });
      const headers = {
        ...metadataHeaders(outcome.headers, "grpc-metadata-"),
        ...metadataHeaders(outcome.trailers, "grpc-trailer-"),
      };
      if (ttlMs !== undefined && !outcome.stale) {
        const body = Buffer.from(JSON.stringify(render(binding, outcome.message)));
        const answer = responseCache!.store(
          cacheKey,
          { body, headers },
          { backend, ids: [...params.values()], ttlMs, generation },
        );
        return sendCached(exchange, rpc.fullName, answer, "miss");
      }
      const stale: Record<string, string> = outcome.stale
        ? { "x-gateway-fallback": "stale", age: String(Math.floor(outcome.stale.ageMs / 1000)) }
        : {};
      exchange.sendJson(200, render(binding, outcome.message), { ...headers, ...stale });
      return;
    }

    let outcome: Awaited<ReturnType<EdgePipeline["serverStream"]>>;
    try {
      outcome = await pipeline.serverStream(request, rpc, input);
    } catch (error) {
      // Before the first message: the mapped status, with the stream's error framing.
      const answer = errorResponse(error, codec.registry, exchange.logger, exchange.requestId);
      exchange.sendJson(answer.status, { error: answer.body }, answer.headers);
      return;
    }
    const { res } = exchange;
    exchange.startStream(200, metadataHeaders(outcome.headers, "grpc-metadata-"));
    const write = async (line: JsonValue) => {
      if (!res.write(`${JSON.stringify(line)}\n`)) {
        await once(res, "drain", { signal: exchange.signal });
      }
    };
    try {
      for await (const message of outcome.messages) {
        await write({ result: render(binding, message) });
      }
    } catch (error) {
      if (exchange.signal.aborted) return;
      const failure = toServiceError(error);
      const answer = errorResponse(failure, codec.registry, exchange.logger, exchange.requestId);
      res.write(`${JSON.stringify({ error: answer.body })}\n`);
    }
    res.end();
  };
}

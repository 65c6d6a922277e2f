/**
 * Serves one transcoded route: admit the call (auth, rate limit), read and decode the
 * request, call the RPC through the edge pipeline, and write proto3 JSON back. Unary
 * answers carry the backend's metadata as Grpc-Metadata-/Grpc-Trailer- headers;
 * server streams are newline-delimited JSON in grpc-gateway's framing, `{"result":...}`
 * per message and a final `{"error":...}` when the call fails (with the mapped HTTP
 * status when that happens before the first message).
 */
import { once } from "node:events";
import type { JsonValue, Message } from "@bufbuild/protobuf";
import { toServiceError } from "@shop/libs/errors";
import type { EdgePipeline } from "../edge/edge-pipeline";
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
}

export type RestHandler = (
  exchange: HttpExchange,
  binding: RestBinding,
  params: ReadonlyMap<string, string>,
) => Promise<void>;

export function createRestHandler(options: RestHandlerOptions): RestHandler {
  const { pipeline, codec } = options;

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
    const body =
      binding.body.kind === "none" ? "" : await readBody(exchange.req, options.bodyLimit);
    const input = decodeRestRequest(codec, binding, { params, query: exchange.query, body });

    if (!rpc.streaming) {
      const outcome = await pipeline.unary(request, rpc, input, {
        // Only reads are replayed from the last good answer; the key is path and query.
        ...(exchange.req.method === "GET" ? { fallbackKey: exchange.req.url ?? "" } : {}),
      });
      const stale: Record<string, string> = outcome.stale
        ? { "x-gateway-fallback": "stale", age: String(Math.floor(outcome.stale.ageMs / 1000)) }
        : {};
      exchange.sendJson(200, render(binding, outcome.message), {
        ...metadataHeaders(outcome.headers, "grpc-metadata-"),
        ...metadataHeaders(outcome.trailers, "grpc-trailer-"),
        ...stale,
      });
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

/**
 * One HTTP request and its answer, with the headers every answer carries (request id,
 * CORS) and the two ways to end it: a JSON body or an error as google.rpc.Status.
 * Handlers see this instead of Node's req/res pair, so no answer goes out without
 * those headers or in another error shape.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { JsonValue, Registry } from "@bufbuild/protobuf";
import type { Logger } from "@shop/libs/logging";
import { errorResponse } from "./error-writer";

export type HeaderValues = Readonly<Record<string, string | readonly string[]>>;

export interface HttpExchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly requestId: string;
  /** The path as sent (still percent-encoded) and the query. */
  readonly rawPath: string;
  readonly query: URLSearchParams;
  /** Aborted when the client goes away before the answer is complete. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /** Headers added to the answer, whatever it turns out to be (RateLimit-*). */
  addHeaders(headers: HeaderValues): void;
  sendJson(status: number, body: JsonValue, headers?: HeaderValues): void;
  /** Sends `body` as is (text or bytes), with its length; HEAD gets the headers only. */
  sendText(
    status: number,
    contentType: string,
    body: string | Uint8Array,
    headers?: HeaderValues,
  ): void;
  /** An answer without a body, e.g. 304 Not Modified. */
  sendEmpty(status: number, headers?: HeaderValues): void;
  sendError(error: unknown): void;
  /** Starts a streamed answer; the caller writes and ends `res` itself. */
  startStream(status: number, headers?: HeaderValues): void;
}

export function createHttpExchange(
  req: IncomingMessage,
  res: ServerResponse,
  context: { requestId: string; headers: HeaderValues; registry: Registry; logger: Logger },
): HttpExchange {
  const target = req.url ?? "/";
  const queryStart = target.indexOf("?");
  const controller = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) controller.abort();
  });
  const pending: Record<string, string | readonly string[]> = {
    "x-request-id": context.requestId,
    ...context.headers,
  };
  const writeHead = (status: number, headers: HeaderValues | undefined, extra: HeaderValues) => {
    res.writeHead(status, { ...pending, ...headers, ...extra } as Record<
      string,
      string | string[]
    >);
  };
  const exchange: HttpExchange = {
    req,
    res,
    requestId: context.requestId,
    rawPath: queryStart < 0 ? target : target.slice(0, queryStart),
    query: new URLSearchParams(queryStart < 0 ? "" : target.slice(queryStart + 1)),
    signal: controller.signal,
    logger: context.logger,
    addHeaders(headers) {
      Object.assign(pending, headers);
    },
    sendJson(status, body, headers) {
      exchange.sendText(status, "application/json", JSON.stringify(body), headers);
    },
    sendText(status, contentType, body, headers) {
      if (res.headersSent) return;
      writeHead(status, headers, {
        "content-type": contentType,
        "content-length": String(Buffer.byteLength(body)),
      });
      res.end(req.method === "HEAD" ? undefined : body);
    },
    sendEmpty(status, headers) {
      if (res.headersSent) return;
      writeHead(status, headers, {});
      res.end();
    },
    sendError(error) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const answer = errorResponse(error, context.registry, context.logger, context.requestId);
      // Whatever is left of a refused body is not worth reading.
      const close: Record<string, string> = answer.status === 413 ? { connection: "close" } : {};
      exchange.sendJson(answer.status, answer.body, { ...answer.headers, ...close });
    },
    startStream(status, headers) {
      writeHead(status, headers, { "content-type": "application/json" });
    },
  };
  return exchange;
}

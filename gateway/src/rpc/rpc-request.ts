/**
 * Reads what the edge needs from a gRPC, gRPC-Web or Connect call: the request id and
 * client address (taken from the HTTP request when it arrives, like REST's), the
 * credentials and ids that travel as headers, the client's timeout as connect-node
 * parsed it (grpc-timeout, connect-timeout-ms), and the client's custom metadata to
 * forward. HTTP's own headers (content negotiation, browser headers, cookies, proxies)
 * are not metadata and stay at the edge.
 */
import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import { createContextKey, type HandlerContext } from "@connectrpc/connect";
import type { EdgeRequest } from "../edge/call-metadata";
import { clientIpOf, requestIdOf } from "../http/edge-request-from-http";

/** What the HTTP request says about a call, before connect-node decodes it. */
export interface RpcCallOrigin {
  readonly requestId: string;
  readonly clientIp: string;
}

/** Where an RPC handler finds its call's origin (set per request by the adapter). */
export const RPC_CALL_ORIGIN = createContextKey<RpcCallOrigin>(
  { requestId: "", clientIp: "" },
  { description: "the HTTP request's id and client address" },
);

/** The call's origin from its HTTP request; `requestId` when the HTTP layer chose one. */
export function rpcCallOrigin(
  req: IncomingMessage | Http2ServerRequest,
  trustedHops: number,
  requestId?: string,
): RpcCallOrigin {
  // Http2ServerRequest has the headers and socket these read, like IncomingMessage.
  const incoming = req as IncomingMessage;
  return {
    requestId: requestId ?? requestIdOf(incoming),
    clientIp: clientIpOf(incoming, trustedHops),
  };
}

/** Headers of the transport, the browser or a proxy: never forwarded as metadata. */
const HTTP_HEADERS = new Set([
  "accept",
  "accept-encoding",
  "accept-language",
  "cache-control",
  "cookie",
  "dnt",
  "forwarded",
  "keep-alive",
  "origin",
  "pragma",
  "priority",
  "referer",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "via",
  "x-grpc-web",
  "x-user-agent",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-proto",
]);
const HTTP_PREFIXES = ["connect-", "content-", "sec-", "proxy-", "access-control-", ":"];

function isHttpHeader(name: string): boolean {
  return HTTP_HEADERS.has(name) || HTTP_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/** The EdgeRequest of one call; `protocol` is connect-node's ("grpc", "grpc-web", "connect"). */
export function edgeRequestFromRpc(ctx: HandlerContext): EdgeRequest {
  const origin = ctx.values.get(RPC_CALL_ORIGIN);
  const headers = ctx.requestHeader;
  const value = (name: string) => {
    const text = headers.get(name);
    return text === null || text === "" ? undefined : text;
  };
  const metadata: [string, string][] = [];
  // Headers joins repeated values with ", "; metadata keeps them joined, as HTTP/2 may.
  headers.forEach((text, name) => {
    if (!isHttpHeader(name)) metadata.push([name, text]);
  });
  return {
    protocol: ctx.protocolName,
    requestId: origin.requestId,
    clientIp: origin.clientIp,
    authorization: value("authorization"),
    idempotencyKey: value("idempotency-key"),
    traceparent: value("traceparent"),
    tracestate: value("tracestate"),
    // callMetadata filters what only the gateway may set (x-client-ip, tokens, grpc-*).
    metadata,
    timeoutMs: ctx.timeoutMs(),
    signal: ctx.signal,
  };
}

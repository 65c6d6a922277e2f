/**
 * The gRPC, gRPC-Web and Connect surface: one connect-es handler per exposed RPC,
 * built from its descriptor (no code per service), each running the edge pipeline
 * REST uses: admission (token, access level, rate limit), then the backend call with
 * deadline, breaker and fallback. Only decoding and writing differ per protocol, and
 * connect-node does those. Internal and unmarked RPCs get no handler at all, so every
 * protocol refuses them alike (UNIMPLEMENTED, as for a method that does not exist).
 */
import { type DescMethod, type Message, type Registry, toBinary } from "@bufbuild/protobuf";
import {
  Code,
  type ConnectError,
  type ConnectRouter,
  type HandlerContext,
} from "@connectrpc/connect";
import { Code as GrpcCode } from "@shop/libs/errors";
import type { Logger } from "@shop/libs/logging";
import type { Metrics } from "@shop/libs/metrics";
import type { EdgeRequest } from "../edge/call-metadata";
import type { EdgePipeline, UnaryOutcome } from "../edge/edge-pipeline";
import type { RpcTarget } from "../edge/rpc-target";
import { connectErrorFrom } from "./rpc-error";
import { copyMetadata, setHeaders } from "./rpc-metadata";
import { edgeRequestFromRpc } from "./rpc-request";
import { type RpcSpan, startRpcSpan } from "./rpc-tracing";

export interface RpcRoutesOptions {
  readonly targets: readonly RpcTarget[];
  readonly pipeline: EdgePipeline;
  /** Resolves error details' types for Connect's readable `debug` form. */
  readonly registry: Registry;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** RPCs whose last good answer may be served while their backend is down. */
  readonly fallbackRpcs: ReadonlySet<string>;
}

/** One call being served: its request, span, and how it ends. */
interface RpcCall {
  readonly request: EdgeRequest;
  readonly span: RpcSpan;
  /** Admission: on refusal the call is counted here, since the pipeline never saw it. */
  admit(): Promise<void>;
  /** The ConnectError to throw for `thrown`, the call recorded as failed. */
  fail(thrown: unknown): ConnectError;
  /** Records the end of a call that did not fail (OK, or CANCELLED by the client). */
  finish(code: Code | 0): void;
}

/** The routes for connectNodeAdapter. */
export function createRpcRoutes(options: RpcRoutesOptions): (router: ConnectRouter) => void {
  const { pipeline } = options;

  const begin = (rpc: RpcTarget, ctx: HandlerContext): RpcCall => {
    const started = performance.now();
    const request = edgeRequestFromRpc(ctx);
    const span = startRpcSpan(rpc, request.protocol, ctx.requestHeader);
    let ended = false;
    const end = (code: number) => {
      if (ended) return;
      ended = true;
      span.end(code);
      if (options.logger.isLevelEnabled("info")) {
        options.logger.info(
          {
            requestId: request.requestId,
            protocol: request.protocol,
            rpc: rpc.fullName,
            code: GrpcCode[code] ?? String(code),
            durationMs: Math.round((performance.now() - started) * 10) / 10,
          },
          "rpc completed",
        );
      }
    };
    const fail = (thrown: unknown) => {
      const error = connectErrorFrom(thrown, {
        logger: options.logger,
        registry: options.registry,
        requestId: request.requestId,
        signal: ctx.signal,
      });
      end(error.code);
      return error;
    };
    return {
      request,
      span,
      async admit() {
        try {
          const admission = await span.run(() =>
            pipeline.admit(request, { name: rpc.fullName, access: rpc.access }),
          );
          setHeaders(ctx.responseHeader, admission.headers);
        } catch (thrown) {
          const error = fail(thrown);
          // The pipeline counts the calls it makes; a refused one is counted here.
          options.metrics.rpc.start(rpc.path, request.protocol)(GrpcCode[error.code] ?? "UNKNOWN");
          throw error;
        }
      },
      fail,
      finish: end,
    };
  };

  const unary = (rpc: RpcTarget) => async (input: Message, ctx: HandlerContext) => {
    const call = begin(rpc, ctx);
    await call.admit();
    let outcome: UnaryOutcome;
    try {
      outcome = await call.span.run(() =>
        pipeline.unary(call.request, rpc, input, {
          // Same request bytes, same answer: the key of the last good one.
          ...(options.fallbackRpcs.has(rpc.fullName)
            ? {
                fallbackKey: `rpc:${Buffer.from(toBinary(rpc.method.input, input)).toString("base64")}`,
              }
            : {}),
        }),
      );
    } catch (thrown) {
      throw call.fail(thrown);
    }
    copyMetadata(outcome.headers, ctx.responseHeader);
    copyMetadata(outcome.trailers, ctx.responseTrailer);
    if (outcome.stale) {
      ctx.responseHeader.set("x-gateway-fallback", "stale");
      ctx.responseHeader.set("age", String(Math.floor(outcome.stale.ageMs / 1000)));
    }
    call.finish(0);
    return outcome.message;
  };

  const serverStreaming = (rpc: RpcTarget) =>
    async function* (input: Message, ctx: HandlerContext): AsyncGenerator<Message> {
      const call = begin(rpc, ctx);
      await call.admit();
      let messages: AsyncIterable<Message>;
      try {
        const outcome = await call.span.run(() => pipeline.serverStream(call.request, rpc, input));
        // Headers go out with the first message: set them before yielding it.
        copyMetadata(outcome.headers, ctx.responseHeader);
        messages = outcome.messages;
      } catch (thrown) {
        throw call.fail(thrown);
      }
      let completed = false;
      try {
        for await (const message of messages) yield message;
        completed = true;
      } catch (thrown) {
        throw call.fail(thrown);
      } finally {
        // A client that went away ends the loop through return(): CANCELLED, no error.
        call.finish(completed ? 0 : Code.Canceled);
      }
    };

  return (router) => {
    for (const rpc of options.targets) {
      const impl = rpc.streaming ? serverStreaming(rpc) : unary(rpc);
      // The descriptor's kind decides which of the two it is; the types cannot follow.
      router.rpc(rpc.method as DescMethod, impl as never);
    }
  };
}

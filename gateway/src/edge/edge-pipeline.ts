/**
 * The one pipeline every call at the edge goes through, whatever protocol it came in
 * on (REST, gRPC, gRPC-Web, Connect): access check, rate limit, deadline (the client's,
 * capped by the route's policy timeout), the backend call behind its circuit breaker
 * with the gateway's service token and the client's context, and the last-good
 * fallback for public reads. A call with side effects, whatever its outcome, drops its
 * backend's cached answers (response-cache.ts) before the caller sees that outcome.
 * Protocols differ only in how they decode the request and write the answer.
 */
import type { Message } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import type { Metadata } from "@grpc/grpc-js";
import type { ServiceTokenSigner, UserIdentity } from "@shop/libs/auth";
import { Code, ServiceError, toServiceError } from "@shop/libs/errors";
import type { Metrics } from "@shop/libs/metrics";
import { Counter } from "prom-client";
import type { Backends } from "../backend/backends";
import type { AccessControl, EdgeAccess } from "./access-control";
import { callMetadata, type EdgeRequest } from "./call-metadata";
import type { CircuitBreakers } from "./circuit-breakers";
import type { LastGoodCache } from "./last-good-cache";
import type { EdgeRateLimits } from "./rate-limits";
import type { ResponseCache } from "./response-cache";
import type { RpcTarget } from "./rpc-target";

/** An admitted call: who is calling, and the headers every answer to it carries. */
export interface Admission {
  readonly user: UserIdentity | undefined;
  readonly headers: Readonly<Record<string, string>>;
}

export interface UnaryOutcome {
  readonly message: Message;
  readonly headers: Metadata | undefined;
  readonly trailers: Metadata | undefined;
  /** Set when the answer is the last good one, served while the backend is down. */
  readonly stale?: { readonly ageMs: number };
}

export interface StreamOutcome {
  readonly headers: Metadata;
  /**
   * Every message, the first already received; iteration throws when the call fails
   * later. Iterate it to the end or break out of it: either ends the call.
   */
  readonly messages: AsyncIterable<Message>;
}

export interface CallOptions {
  /** Identifies the request for the last-good fallback (REST: path and query). */
  readonly fallbackKey?: string;
  /** A deadline shared with other calls (aggregation); default: the client's or the route's. */
  readonly deadline?: Date;
}

export interface EdgePipeline {
  /** Auth and rate limit for `target` (an RPC's full name or an aggregation route's id). */
  admit(request: EdgeRequest, target: { name: string; access: EdgeAccess }): Promise<Admission>;
  unary(
    request: EdgeRequest,
    rpc: RpcTarget,
    input: Message,
    options?: CallOptions,
  ): Promise<UnaryOutcome>;
  /** Resolves once the first message (or the end) arrived; rejects if the call failed before. */
  serverStream(request: EdgeRequest, rpc: RpcTarget, input: Message): Promise<StreamOutcome>;
  /** The backend that serves `rpc` (what the response cache scopes answers by). */
  backendOf(rpc: RpcTarget): string;
}

export interface EdgePipelineOptions {
  backends: Backends;
  accessControl: AccessControl;
  rateLimits: EdgeRateLimits;
  breakers: CircuitBreakers;
  lastGood: LastGoodCache;
  /** Full names of the RPCs whose last good response may be served (public ones only). */
  fallbackRpcs: ReadonlySet<string>;
  signer: ServiceTokenSigner;
  metrics: Metrics;
  /** Invalidated by writes; absent when the gateway caches nothing. */
  responseCache?: ResponseCache;
}

/** Codes that mean the backend could not answer, so a stale answer beats none. */
const OUTAGE = new Set<number>([Code.UNAVAILABLE, Code.DEADLINE_EXCEEDED]);

export function createEdgePipeline(options: EdgePipelineOptions): EdgePipeline {
  const { backends, breakers, lastGood, metrics } = options;
  const staleServed = new Counter({
    name: "gateway_stale_responses_total",
    help: "Answers served from the last good response while the backend was down, by RPC.",
    labelNames: ["rpc"],
    registers: [metrics.registry],
  });

  const prepare = async (request: EdgeRequest, rpc: RpcTarget, call: CallOptions) => {
    if (request.signal.aborted) {
      throw new ServiceError(Code.CANCELLED, "the client went away");
    }
    const deadline = call.deadline
      ? { at: call.deadline, setByClient: request.timeoutMs !== undefined }
      : edgeDeadline(request.timeoutMs, backends.defaultTimeoutMs(rpc));
    return {
      backend: backends.forRpc(rpc),
      options: {
        metadata: callMetadata(request, await options.signer.token()),
        deadline: deadline.at,
        signal: request.signal,
      },
      clientDeadline: deadline.setByClient,
    };
  };

  return {
    backendOf: (rpc) => backends.forRpc(rpc).name,

    async admit(request, target) {
      const user = await options.accessControl.authorize(target.access, request.authorization);
      const headers = await options.rateLimits.consume(target.name, user, request.clientIp);
      return { user, headers };
    },

    async unary(request, rpc, input, call = {}) {
      const end = metrics.rpc.start(rpc.path, request.protocol);
      const fallback =
        call.fallbackKey !== undefined &&
        rpc.access === "public" &&
        options.fallbackRpcs.has(rpc.fullName)
          ? `${rpc.fullName} ${call.fallbackKey}`
          : undefined;
      try {
        const { backend, options: backendCall, clientDeadline } = await prepare(request, rpc, call);
        const reply = await breakers
          .run(backend.name, () => backend.unary(rpc, input, backendCall), clientDeadline)
          .finally(() => {
            // Whatever the outcome (a failed call may still have written), a write
            // drops the answers cached from its backend.
            if (rpc.method.idempotency !== MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS) {
              options.responseCache?.invalidate(backend.name);
            }
          });
        if (fallback) lastGood.set(fallback, reply.message, reply.size);
        end("OK");
        return reply;
      } catch (thrown) {
        const error = toServiceError(thrown);
        const stale = fallback && OUTAGE.has(error.code) ? lastGood.get(fallback) : undefined;
        if (stale) {
          staleServed.inc({ rpc: rpc.fullName });
          end("OK");
          return {
            message: stale.message,
            headers: undefined,
            trailers: undefined,
            stale: { ageMs: Date.now() - stale.storedAt },
          };
        }
        end(Code[error.code] ?? String(error.code));
        throw error;
      }
    },

    async serverStream(request, rpc, input) {
      const end = metrics.rpc.start(rpc.path, request.protocol);
      try {
        const { backend, options: backendCall, clientDeadline } = await prepare(request, rpc, {});
        const reply = backend.serverStream(rpc, input, backendCall);
        const iterator = reply.messages[Symbol.asyncIterator]();
        // The breaker judges the call by how it starts: the first message or the error.
        const first = await breakers.run(backend.name, () => iterator.next(), clientDeadline);
        const headers = await reply.headers;
        async function* messages(): AsyncGenerator<Message> {
          let code = "OK";
          try {
            for (let next = first; !next.done; next = await iterator.next()) yield next.value;
          } catch (error) {
            const failure = toServiceError(error);
            code = Code[failure.code] ?? String(failure.code);
            throw failure;
          } finally {
            await iterator.return?.();
            end(code);
          }
        }
        return { headers, messages: messages() };
      } catch (thrown) {
        const error = toServiceError(thrown);
        end(Code[error.code] ?? String(error.code));
        throw error;
      }
    },
  };
}

/**
 * The deadline of a call: the client's timeout (Grpc-Timeout, Connect-Timeout-Ms)
 * capped by the route's timeout from policy, or the route's when the client set none.
 * A client may shorten a deadline, never lengthen it: the policy's timeout bounds how
 * long a call may hold the backends. `setByClient` says the client's was the shorter
 * one, so running out of it says nothing about the backend.
 */
export function edgeDeadline(
  clientTimeoutMs: number | undefined,
  routeTimeoutMs: number,
  now = Date.now(),
): { at: Date; setByClient: boolean } {
  const setByClient = clientTimeoutMs !== undefined && clientTimeoutMs < routeTimeoutMs;
  return { at: new Date(now + (setByClient ? clientTimeoutMs : routeTimeoutMs)), setByClient };
}

/**
 * The pipeline around every handler, in order: metrics start, call context,
 * authentication by access level, fault injection, the handler, error mapping, one log
 * line, metrics end. Unary and server-streaming calls share it and differ only in how
 * the handler's result is sent.
 */
import { once } from "node:events";
import type {
  handleServerStreamingCall,
  handleUnaryCall,
  ServerUnaryCall,
  ServerWritableStream,
  StatusObject,
} from "@grpc/grpc-js";
import { Code, ServiceError, toServiceError } from "../errors";
import type { Logger } from "../logging";
import type { Metrics } from "../metrics";
import { withServiceName } from "../telemetry/service-name";
import type { CallAuthenticator, CallIdentity } from "./authenticate-call";
import {
  type CallContext,
  clientIpFrom,
  deadlineFrom,
  idempotencyKeyFrom,
  requestIdFrom,
} from "./call-context";
import type { ServerStreamingHandler, UnaryHandler } from "./definition-types";
import type { FaultInjector } from "./fault-injection";

/** A call being handled; the server aborts it on shutdown (streams) or when forced (all). */
export interface ActiveCall {
  readonly streaming: boolean;
  abort(reason: ServiceError): void;
}

export interface CallPipelineOptions {
  /** The serving service: spans of the call carry it in the embedded mode. */
  service: string;
  logger: Logger;
  metrics: Metrics;
  authenticate: CallAuthenticator;
  injectFault: FaultInjector;
  /** The server's registry of calls in flight (per server instance). */
  active: Set<ActiveCall>;
}

type SurfaceCall = ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>;

/** Codes that mean a bug or broken state here: logged at error level, details hidden. */
const SERVER_FAULTS = new Set<Code>([Code.INTERNAL, Code.UNKNOWN, Code.DATA_LOSS]);

const MAX_TIMER_MS = 2 ** 31 - 1;

// biome-ignore lint/suspicious/noExplicitAny: grpc-js handler types are per message type
type AnyUnaryHandler = UnaryHandler<any, any>;
// biome-ignore lint/suspicious/noExplicitAny: as above
type AnyStreamingHandler = ServerStreamingHandler<any, any>;

/** A grpc-js unary handler running `handler` through the pipeline. */
export function unaryCall(
  method: string,
  handler: AnyUnaryHandler | undefined,
  options: CallPipelineOptions,
): handleUnaryCall<unknown, unknown> {
  return (call, callback) => {
    void runPipeline(call, method, false, options, async (ctx) => {
      if (!handler) throw unimplemented(method);
      const response = await handler(call.request, ctx);
      if (response === undefined || response === null) {
        throw new Error(`the handler of ${method} resolved without a response`);
      }
      return () => callback(null, response);
    }).then((status) => {
      if (status) callback(status);
    });
  };
}

/** A grpc-js server-streaming handler running `handler` through the pipeline. */
export function serverStreamingCall(
  method: string,
  handler: AnyStreamingHandler | undefined,
  options: CallPipelineOptions,
): handleServerStreamingCall<unknown, unknown> {
  return (call) => {
    void runPipeline(call, method, true, options, async (ctx) => {
      if (!handler) throw unimplemented(method);
      for await (const message of handler(call.request, ctx)) {
        if (ctx.signal.aborted) break;
        // Back-pressure: a slow client must not make the server buffer without bound.
        if (!call.write(message)) await once(call, "drain", { signal: ctx.signal });
      }
      return () => call.end();
    }).then((status) => {
      // grpc-js turns an 'error' event into the call's status.
      if (status && !call.cancelled && !call.destroyed) call.emit("error", status);
    });
  };
}

/**
 * Runs the pipeline; `body` resolves with the function that sends success. Resolves
 * with the status to send on failure, or undefined when success was sent.
 */
async function runPipeline(
  call: SurfaceCall,
  method: string,
  streaming: boolean,
  options: CallPipelineOptions,
  body: (ctx: CallContext) => Promise<() => void>,
): Promise<Partial<StatusObject> | undefined> {
  const endMetrics = options.metrics.rpc.start(method, "grpc");
  const started = performance.now();
  const requestId = requestIdFrom(call.metadata);
  const logger = options.logger.child({ rpc: method, requestId });
  const deadline = deadlineFrom(call.getDeadline());

  const controller = new AbortController();
  const active: ActiveCall = { streaming, abort: (reason) => controller.abort(reason) };
  const onCancel = () =>
    controller.abort(new ServiceError(Code.CANCELLED, "the client cancelled the call"));
  call.on("cancelled", onCancel);
  // grpc-js answers DEADLINE_EXCEEDED on its own but does not tell the handler.
  const remainingMs = deadline ? Math.max(0, deadline.getTime() - Date.now()) : Infinity;
  // Past 2^31-1 ms setTimeout fires at once; such a deadline is as good as none.
  const timer =
    remainingMs <= MAX_TIMER_MS
      ? setTimeout(
          () => controller.abort(new ServiceError(Code.DEADLINE_EXCEEDED, "the deadline passed")),
          remainingMs,
        )
      : undefined;
  options.active.add(active);

  let identity: CallIdentity = {};
  let error: ServiceError | undefined;
  const run = async () => {
    identity = await options.authenticate(method, call.metadata);
    const ctx: CallContext = {
      method,
      requestId,
      ...identity,
      clientIp: clientIpFrom(call.metadata, identity.caller),
      idempotencyKey: idempotencyKeyFrom(call.metadata),
      deadline,
      signal: controller.signal,
      metadata: call.metadata,
      logger,
    };
    await options.injectFault(method, controller.signal);
    return body(ctx);
  };
  try {
    const running = withServiceName(options.service, run);
    // A handler that ignores its signal may settle later: nobody listens any more.
    running.catch(() => {});
    // Once aborted the call is answered at once, whether or not the handler stops.
    const sendSuccess = await Promise.race([running, rejectOnAbort(controller.signal)]);
    sendSuccess();
  } catch (thrown) {
    // Once aborted, whatever the handler threw is a consequence of the abort.
    error = toServiceError(controller.signal.aborted ? controller.signal.reason : thrown);
  } finally {
    if (timer) clearTimeout(timer);
    call.off("cancelled", onCancel);
    options.active.delete(active);
  }

  const code = error?.code ?? Code.OK;
  const fields = {
    code: Code[code],
    durationMs: Math.round((performance.now() - started) * 10) / 10,
    ...(identity.caller ? { caller: identity.caller } : {}),
    ...(identity.user ? { userId: identity.user.userId } : {}),
  };
  if (!error) {
    logger.info(fields, "rpc completed");
  } else if (SERVER_FAULTS.has(code)) {
    logger.error({ ...fields, err: error.cause ?? error }, `rpc failed: ${error.message}`);
  } else {
    logger.warn({ ...fields, error: error.message }, "rpc failed");
  }
  endMetrics(Code[code]);
  if (!error) return undefined;
  // The client never sees what went wrong inside: the log line above has it.
  const sent = SERVER_FAULTS.has(code) ? new ServiceError(code, "internal error") : error;
  return sent.toGrpcStatus();
}

/** Rejects with the abort reason; never an unhandled rejection, even if nobody awaits it. */
function rejectOnAbort(signal: AbortSignal): Promise<never> {
  const aborted = new Promise<never>((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
  aborted.catch(() => {});
  return aborted;
}

function unimplemented(method: string): ServiceError {
  return new ServiceError(Code.UNIMPLEMENTED, `${method} is not implemented`);
}

/**
 * Types derived from ts-proto's grpc-js service definitions (`ProductServiceService`),
 * so handlers and clients get the request and response types of every method without
 * naming them.
 */
import type { CallContext } from "./call-context";

/** One method of a ts-proto service definition. */
export interface MethodDefinitionLike {
  readonly path: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
  // biome-ignore lint/suspicious/noExplicitAny: variance: any request type must fit
  readonly requestSerialize: (value: any) => Buffer;
  readonly requestDeserialize: (value: Buffer) => unknown;
  // biome-ignore lint/suspicious/noExplicitAny: variance: any response type must fit
  readonly responseSerialize: (value: any) => Buffer;
  readonly responseDeserialize: (value: Buffer) => unknown;
}

/** A ts-proto service definition such as `ProductServiceService`. */
export type ServiceDefinitionLike = { readonly [method: string]: MethodDefinitionLike };

export type RequestOf<M> = M extends { requestDeserialize: (value: Buffer) => infer Req }
  ? Req
  : never;
export type ResponseOf<M> = M extends { responseDeserialize: (value: Buffer) => infer Res }
  ? Res
  : never;

export type IsUnary<M> = M extends { requestStream: false; responseStream: false } ? true : false;
export type IsServerStreaming<M> = M extends { requestStream: false; responseStream: true }
  ? true
  : false;

/** A unary RPC's implementation: resolve with the response or throw a ServiceError. */
export type UnaryHandler<Req, Res> = (request: Req, ctx: CallContext) => Promise<Res>;

/**
 * A server-streaming RPC's implementation, usually an async generator: every yielded
 * message is sent (respecting back-pressure), returning ends the call OK, throwing ends
 * it with the error. Stop when `ctx.signal` aborts (client gone or deadline).
 */
export type ServerStreamingHandler<Req, Res> = (
  request: Req,
  ctx: CallContext,
) => AsyncIterable<Res>;

/**
 * The implementation of a whole service, e.g. `Handlers<typeof ProductServiceService>`.
 * Client- and bidi-streaming methods map to `never`: the shop's contracts have none,
 * and the server refuses to add them.
 */
export type Handlers<D extends ServiceDefinitionLike> = {
  [K in keyof D]: IsUnary<D[K]> extends true
    ? UnaryHandler<RequestOf<D[K]>, ResponseOf<D[K]>>
    : IsServerStreaming<D[K]> extends true
      ? ServerStreamingHandler<RequestOf<D[K]>, ResponseOf<D[K]>>
      : never;
};

/** "/shop.product.v1.ProductService/ReserveStock" -> "shop.product.v1.ProductService". */
export function serviceNameOf(definition: ServiceDefinitionLike): string {
  const first = Object.values(definition)[0];
  const match = first && /^\/([^/]+)\/[^/]+$/.exec(first.path);
  if (!match)
    throw new Error("not a gRPC service definition: no method with a /Service/Method path");
  return match[1]!;
}

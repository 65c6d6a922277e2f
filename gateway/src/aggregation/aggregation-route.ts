/**
 * A hand-written route that composes several RPCs: the one kind of route that is not
 * transcoded from a contract. Each declares its path, access level and the OpenAPI
 * description of its answer, so it is routed, rate limited, authorised and documented
 * like the transcoded ones; only its handler is code.
 */
import type { DescMessage } from "@bufbuild/protobuf";
import type { EdgeAccess } from "../edge/access-control";
import type { EdgeRequest } from "../edge/call-metadata";
import type { EdgePipeline } from "../edge/edge-pipeline";
import type { HttpExchange } from "../http/http-exchange";
import type { JsonCodec } from "../transcoding/json-codec";
import type { PathTemplate } from "../transcoding/path-template";

/** A JSON Schema fragment; `$ref`s name messages as "#/components/schemas/<type name>". */
export type JsonSchema = Record<string, unknown>;

export interface AggregationContext {
  readonly pipeline: EdgePipeline;
  readonly codec: JsonCodec;
  /** The call as received, already admitted. */
  readonly request: EdgeRequest;
  /** One deadline for every backend call the route makes. */
  readonly deadline: Date;
}

export interface AggregationRoute {
  /** Rate-limit target and OpenAPI operationId, e.g. "aggregate.GetOrderDetails". */
  readonly id: string;
  readonly httpMethod: "GET";
  readonly template: PathTemplate;
  readonly access: EdgeAccess;
  readonly summary: string;
  readonly description: string;
  /** The answer's schema, and the messages it refers to (their schemas are generated). */
  readonly responseSchema: JsonSchema;
  readonly referencedMessages: readonly DescMessage[];
  handle(
    exchange: HttpExchange,
    params: ReadonlyMap<string, string>,
    context: AggregationContext,
  ): Promise<void>;
}

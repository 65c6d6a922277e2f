import type { Handlers, ServiceDefinitionLike } from "../definition-types";

/**
 * Handlers for only the methods a test exercises, typed from the definition; the
 * server answers the others UNIMPLEMENTED. Services implement every method instead.
 */
export function partialHandlers<D extends ServiceDefinitionLike>(
  _definition: D,
  handlers: Partial<Handlers<D>>,
): Handlers<D> {
  return handlers as Handlers<D>;
}

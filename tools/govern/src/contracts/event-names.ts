/** The event messages of `shop.events.v1` (payloads of an EventEnvelope), by short name. */
import type { DescFile } from "@bufbuild/protobuf";
import { file_shop_events_v1_events } from "@shop/gen/es/shop/events/v1/events_pb";

const NOT_EVENTS = new Set(["EventEnvelope", "TraceContext"]);

export function eventNames(file: DescFile = file_shop_events_v1_events): string[] {
  return file.messages
    .map((m) => m.name)
    .filter((n) => !NOT_EVENTS.has(n))
    .sort();
}

/**
 * Test support: a grpc-js service definition (the shape ts-proto generates and libs'
 * server takes) built from protobuf-es descriptors, so the test-only contract needs no
 * second code generator.
 */
import { type DescService, fromBinary, type Message, toBinary } from "@bufbuild/protobuf";
import type { ServiceDefinitionLike } from "@shop/libs/grpc";

export function serviceDefinitionFromEs(service: DescService): ServiceDefinitionLike {
  return Object.fromEntries(
    service.methods.map((method) => [
      method.localName,
      {
        path: `/${service.typeName}/${method.name}`,
        requestStream:
          method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
        responseStream:
          method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
        requestSerialize: (value: Message) => Buffer.from(toBinary(method.input, value)),
        requestDeserialize: (bytes: Buffer) => fromBinary(method.input, bytes),
        responseSerialize: (value: Message) => Buffer.from(toBinary(method.output, value)),
        responseDeserialize: (bytes: Buffer) => fromBinary(method.output, bytes),
      },
    ]),
  );
}

/**
 * gRPC server reflection at the edge, `grpc.reflection.v1` and the `v1alpha` that older
 * grpcurl and grpc-js clients still ask for, both answering from EdgeReflection. The
 * two versions are the same messages under another package (identical field
 * numbers), so v1alpha is served by re-reading its bytes as v1 and back.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import {
  ErrorResponseSchema,
  ExtensionNumberResponseSchema,
  FileDescriptorResponseSchema,
  ListServiceResponseSchema,
  ServerReflection,
  type ServerReflectionRequest,
  ServerReflectionRequestSchema,
  type ServerReflectionResponse,
  ServerReflectionResponseSchema,
} from "../gen/grpc/reflection/v1/reflection_pb";
import {
  ServerReflection as ServerReflectionAlpha,
  type ServerReflectionRequest as ServerReflectionRequestAlpha,
  ServerReflectionRequestSchema as ServerReflectionRequestAlphaSchema,
  ServerReflectionResponseSchema as ServerReflectionResponseAlphaSchema,
} from "../gen/grpc/reflection/v1alpha/reflection_pb";
import type { EdgeReflection } from "./edge-reflection";

/** The reflection services, for listing them beside what they describe. */
export const REFLECTION_SERVICES = [ServerReflection, ServerReflectionAlpha] as const;

/** gRPC codes, as reflection's ErrorResponse carries them. */
const INVALID_ARGUMENT = 3;
const NOT_FOUND = 5;

const notFound = (message: string): ServerReflectionResponse["messageResponse"] => ({
  case: "errorResponse",
  value: create(ErrorResponseSchema, { errorCode: NOT_FOUND, errorMessage: message }),
});

/** The answer to one reflection request. */
export function answerReflection(
  reflection: EdgeReflection,
  request: ServerReflectionRequest,
): ServerReflectionResponse {
  const response = create(ServerReflectionResponseSchema, {
    validHost: request.host,
    originalRequest: request,
  });
  const files = (found: Uint8Array[] | undefined, what: string) => {
    response.messageResponse = found
      ? {
          case: "fileDescriptorResponse",
          value: create(FileDescriptorResponseSchema, { fileDescriptorProto: found }),
        }
      : notFound(`${what} not found`);
  };
  const { messageRequest: ask } = request;
  switch (ask.case) {
    case "listServices":
      response.messageResponse = {
        case: "listServicesResponse",
        value: create(ListServiceResponseSchema, {
          service: reflection.listServices().map((name) => ({ name })),
        }),
      };
      break;
    case "fileByFilename":
      files(reflection.fileByFilename(ask.value), `file ${ask.value}`);
      break;
    case "fileContainingSymbol":
      files(reflection.fileContainingSymbol(ask.value), `symbol ${ask.value}`);
      break;
    case "fileContainingExtension": {
      const { containingType, extensionNumber } = ask.value;
      files(
        reflection.fileContainingExtension(containingType, extensionNumber),
        `extension ${extensionNumber} of ${containingType}`,
      );
      break;
    }
    case "allExtensionNumbersOfType": {
      const numbers = reflection.extensionNumbers(ask.value);
      response.messageResponse = numbers
        ? {
            case: "allExtensionNumbersResponse",
            value: create(ExtensionNumberResponseSchema, {
              baseTypeName: ask.value,
              extensionNumber: numbers,
            }),
          }
        : notFound(`type ${ask.value} not found`);
      break;
    }
    default:
      response.messageResponse = {
        case: "errorResponse",
        value: create(ErrorResponseSchema, {
          errorCode: INVALID_ARGUMENT,
          errorMessage: "empty reflection request",
        }),
      };
  }
  return response;
}

/** Registers both reflection services on `router`. */
export function addReflectionRoutes(router: ConnectRouter, reflection: EdgeReflection): void {
  router.service(ServerReflection, {
    async *serverReflectionInfo(requests: AsyncIterable<ServerReflectionRequest>) {
      for await (const request of requests) yield answerReflection(reflection, request);
    },
  });
  router.service(ServerReflectionAlpha, {
    async *serverReflectionInfo(requests: AsyncIterable<ServerReflectionRequestAlpha>) {
      for await (const request of requests) {
        const asV1 = fromBinary(
          ServerReflectionRequestSchema,
          toBinary(ServerReflectionRequestAlphaSchema, request),
        );
        const answer = answerReflection(reflection, asV1);
        yield fromBinary(
          ServerReflectionResponseAlphaSchema,
          toBinary(ServerReflectionResponseSchema, answer),
        );
      }
    },
  });
}

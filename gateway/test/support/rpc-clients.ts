/**
 * Test support: the three kinds of client the gateway's RPC edge serves. A grpc-js
 * client (what gRPC clients in every language look like on the wire) calling any
 * method of a protobuf-es descriptor on port 9000; Connect clients (connect-node, over
 * HTTP/1.1 to port 8000 or HTTP/2 to port 9000); and a gRPC-Web client (connect-web,
 * over fetch, as a browser calls port 8000).
 */
import {
  create,
  type DescMessage,
  type DescMethod,
  type DescService,
  fromBinary,
  type Message,
  type MessageInitShape,
  toBinary,
} from "@bufbuild/protobuf";
import { type Client as ConnectClient, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import {
  Client,
  type ClientReadableStream,
  credentials,
  type ServiceError as GrpcError,
  Metadata,
} from "@grpc/grpc-js";

export interface GrpcAnswer<T> {
  readonly message: T;
  readonly headers: Metadata;
  readonly trailers: Metadata;
}

/** A grpc-js client of the gateway's gRPC port, any method by its descriptor. */
export interface GrpcTestClient {
  unary<T extends Message>(
    method: DescMethod,
    input: MessageInitShape<DescMessage>,
    options?: { metadata?: Record<string, string | Buffer>; timeoutMs?: number },
  ): Promise<GrpcAnswer<T>>;
  /** Every message of a server stream; rejects with the stream's error. */
  stream<T extends Message>(
    method: DescMethod,
    input: MessageInitShape<DescMessage>,
    options?: { metadata?: Record<string, string | Buffer> },
  ): Promise<T[]>;
  /** The raw call, for tests that cancel or read as it goes. */
  open(
    method: DescMethod,
    input: MessageInitShape<DescMessage>,
    options?: { metadata?: Record<string, string | Buffer> },
  ): ClientReadableStream<Message>;
  close(): void;
}

const pathOf = (method: DescMethod) => `/${method.parent.typeName}/${method.name}`;

function metadataOf(entries: Record<string, string | Buffer> = {}): Metadata {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(entries)) metadata.add(key, value);
  return metadata;
}

export function grpcTestClient(port: number): GrpcTestClient {
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  const serialize = (method: DescMethod) => (value: Message) =>
    Buffer.from(toBinary(method.input, value));
  const deserialize = (method: DescMethod) => (bytes: Buffer) => fromBinary(method.output, bytes);
  const open: GrpcTestClient["open"] = (method, input, options = {}) =>
    client.makeServerStreamRequest(
      pathOf(method),
      serialize(method),
      deserialize(method),
      create(method.input, input),
      metadataOf(options.metadata),
    );
  return {
    unary(method, input, options = {}) {
      return new Promise((resolve, reject) => {
        let headers = new Metadata();
        let message: Message | undefined;
        const call = client.makeUnaryRequest(
          pathOf(method),
          serialize(method),
          deserialize(method),
          create(method.input, input),
          metadataOf(options.metadata),
          options.timeoutMs ? { deadline: new Date(Date.now() + options.timeoutMs) } : {},
          (error: GrpcError | null, reply?: Message) => {
            if (error) reject(error);
            else message = reply;
          },
        );
        call.on("metadata", (received: Metadata) => {
          headers = received;
        });
        call.on("status", (status) => {
          if (message !== undefined) {
            resolve({ message: message as never, headers, trailers: status.metadata });
          }
        });
      });
    },
    async stream(method, input, options) {
      const messages = [];
      for await (const message of open(method, input, options)) messages.push(message);
      return messages as never;
    },
    open,
    close: () => client.close(),
  };
}

/** A Connect client of `service`: HTTP/1.1 to the REST port, or HTTP/2 to the gRPC port. */
export function connectTestClient<S extends DescService>(
  service: S,
  port: number,
  httpVersion: "1.1" | "2" = "1.1",
  useBinaryFormat = false,
): ConnectClient<S> {
  return createClient(
    service,
    createConnectTransport({ baseUrl: `http://127.0.0.1:${port}`, httpVersion, useBinaryFormat }),
  );
}

/** A gRPC-Web client of `service` over fetch, as from a browser. */
export function grpcWebTestClient<S extends DescService>(
  service: S,
  port: number,
): ConnectClient<S> {
  return createClient(
    service,
    createGrpcWebTransport({ baseUrl: `http://127.0.0.1:${port}`, useBinaryFormat: true }),
  );
}

/** The gRPC error a grpc-js call rejected with. */
export async function grpcError(call: Promise<unknown>): Promise<GrpcError> {
  try {
    await call;
  } catch (error) {
    return error as GrpcError;
  }
  throw new Error("the call succeeded");
}

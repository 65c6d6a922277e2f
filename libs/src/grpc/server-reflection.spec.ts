import { once } from "node:events";
import { dirname, join } from "node:path";
import {
  type Client,
  type ClientDuplexStream,
  credentials,
  loadPackageDefinition,
  Server,
  ServerCredentials,
  type ServiceDefinition,
} from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { addLazyReflection } from "./server-reflection";

type ReflectionClient = Client & {
  serverReflectionInfo(): ClientDuplexStream<
    object,
    { listServicesResponse?: { service: { name: string }[] } }
  >;
};

/** A grpc.reflection.v1 client, from the proto the reflection package ships. */
function reflectionClient(port: number): ReflectionClient {
  const protoFile = join(
    dirname(require.resolve("@grpc/reflection")),
    "../proto/grpc/reflection/v1/reflection.proto",
  );
  const pkg = loadPackageDefinition(loadSync(protoFile)) as unknown as {
    grpc: {
      reflection: { v1: { ServerReflection: new (a: string, c: unknown) => ReflectionClient } };
    };
  };
  return new pkg.grpc.reflection.v1.ServerReflection(
    `127.0.0.1:${port}`,
    credentials.createInsecure(),
  );
}

it("registers both reflection versions without reading the contracts yet", () => {
  const added: ServiceDefinition[] = [];
  // A repository root with no proto/: building the reflection now would throw.
  addLazyReflection(
    { addService: (definition) => added.push(definition) },
    ["shop.product.v1.ProductService"],
    "/nonexistent-repository",
  );
  expect(added.map((d) => Object.values(d).map((m) => m.path))).toEqual([
    ["/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"],
    ["/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"],
  ]);
});

it("builds the reflection on the first call and answers it", async () => {
  const server = new Server();
  addLazyReflection(server, ["shop.user.v1.UserService"]);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, p) =>
      error ? reject(error) : resolve(p),
    ),
  );
  const client = reflectionClient(port);
  try {
    for (let call = 0; call < 2; call++) {
      const stream = client.serverReflectionInfo();
      stream.write({ listServices: "*" });
      const [response] = await once(stream, "data");
      stream.end();
      await once(stream, "status");
      const names = response.listServicesResponse.service.map((s: { name: string }) => s.name);
      expect(names.sort()).toEqual(["grpc.health.v1.Health", "shop.user.v1.UserService"]);
    }
  } finally {
    client.close();
    server.forceShutdown();
  }
});

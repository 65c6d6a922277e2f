/**
 * Server reflection (grpcurl, Postman, grpcui) over the repository's own contracts,
 * loaded from proto/ and third_party/ rather than the generated code, which carries no
 * descriptors for grpc-js.
 *
 * Parsing every .proto file and indexing its descriptors takes a few hundred ms of CPU,
 * which start-up paid before the gRPC port listened (bench/README.md, mesh-cold-start).
 * A server registers the reflection services with addLazyReflection instead: they are
 * answered from the first reflection call on, which pays for the index once.
 */
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Server, ServiceDefinition, UntypedServiceImplementation } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { protoPath as healthProtoPath } from "grpc-health-check";
import { findRepoRoot } from "../runtime-config";

/** Reflection listing `services` (fully qualified names) and the health service. */
export function createReflectionService(
  services: readonly string[],
  repoRoot: string = findRepoRoot(),
): ReflectionService {
  const protoDir = join(repoRoot, "proto");
  const files = readdirSync(protoDir, { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".proto"))
    .map((file) => file.split("\\").join("/"))
    .sort();
  // health.proto sits at <pkg>/proto/health/v1/health.proto: its include dir is two up.
  const healthDir = dirname(dirname(dirname(healthProtoPath)));
  const definition = loadSync([...files, "health/v1/health.proto"], {
    includeDirs: [protoDir, join(repoRoot, "third_party"), healthDir],
  });
  return new ReflectionService(definition, {
    services: [...services, "grpc.health.v1.Health"],
  });
}

type Registration = [ServiceDefinition, UntypedServiceImplementation];

/** What `reflection.addToServer` would add (v1 and v1alpha), captured instead of added. */
function registrationsOf(reflection: ReflectionService): Registration[] {
  const added: Registration[] = [];
  const capture = {
    addService: (definition: ServiceDefinition, implementation: UntypedServiceImplementation) =>
      added.push([definition, implementation]),
  };
  reflection.addToServer(capture as unknown as Server);
  return added;
}

/**
 * Adds server reflection for `services` (and health) to `server`, built on its first
 * call rather than now: the reflection services' definitions come from a reflection
 * over nothing, and each method forwards to the real one once it exists.
 */
export function addLazyReflection(
  server: Pick<Server, "addService">,
  services: readonly string[],
  repoRoot?: string,
): void {
  let built: Registration[] | undefined;
  const real = () => {
    built ??= registrationsOf(createReflectionService(services, repoRoot));
    return built;
  };
  registrationsOf(new ReflectionService({}, { services: [] })).forEach(([definition], index) => {
    const implementation: UntypedServiceImplementation = {};
    for (const method of Object.keys(definition)) {
      implementation[method] = (call: unknown) => {
        const handler = real()[index]![1][method] as (call: unknown) => void;
        handler(call);
      };
    }
    server.addService(definition, implementation);
  });
}

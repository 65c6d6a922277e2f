/**
 * Server reflection (grpcurl, Postman, grpcui) over the repository's own contracts,
 * loaded from proto/ and third_party/ rather than the generated code, which carries no
 * descriptors for grpc-js.
 */
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
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

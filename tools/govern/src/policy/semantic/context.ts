/**
 * Lookups the semantic rules share: the mesh catalogue, which policy serves which RPC,
 * and a `report` helper that files a finding at a YAML path.
 */
import { SERVICES, type ServiceName } from "@shop/libs/mesh";
import type { RpcFact } from "../../contracts/rpc-facts";
import type { Loaded, PolicySet } from "../load";
import type { ServicePolicy } from "../types";
import { type Finding, findingAt, type PathSegment } from "../yaml-source";

export type Report = (path: readonly PathSegment[], message: string, key?: boolean) => void;

/** A collector of findings in one policy file. */
export function reporter(loaded: Loaded<unknown>, findings: Finding[]): Report {
  return (path, message, key = false) =>
    findings.push(findingAt(loaded.source, path, message, key));
}

export function isCatalogued(name: string): name is ServiceName {
  return SERVICES.some((s) => s.name === name);
}

export function catalogueEntry(name: string) {
  return SERVICES.find((s) => s.name === name);
}

export function policyOf(set: PolicySet, service: string): Loaded<ServicePolicy> | undefined {
  return set.policies.find((p) => p.data.service === service);
}

/** The RPCs of the protobuf services a policy says it serves. */
export function servedFacts(set: PolicySet, policy: ServicePolicy): RpcFact[] {
  return set.facts.filter((f) => policy.serves.includes(f.protoService));
}

/** The RPC `name` of a policy's served services. */
export function servedFact(
  set: PolicySet,
  policy: ServicePolicy,
  name: string,
): RpcFact | undefined {
  return servedFacts(set, policy).find((f) => f.name === name);
}

/** An RPC by its full name (`shop.product.v1.ProductService/GetProduct`). */
export function factByFullName(set: PolicySet, fullName: string): RpcFact | undefined {
  return set.facts.find((f) => f.fullName === fullName);
}

export const GRPC_CODES = [
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
] as const;

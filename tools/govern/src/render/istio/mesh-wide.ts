/**
 * Namespace-wide resources: STRICT mTLS, the deny-all every per-service ALLOW policy
 * opens a hole in, and the default trace sampling rate.
 */
import type { EffectiveRepo } from "../../model/effective-types";
import { type RenderedFile, yamlFile } from "../output";
import type { AuthorizationPolicy, PeerAuthentication, Telemetry } from "./istio-types";

export function renderMeshWide(repo: EffectiveRepo): RenderedFile[] {
  const { namespace, manifestFile } = repo.mesh;
  const peer: PeerAuthentication = {
    apiVersion: "security.istio.io/v1",
    kind: "PeerAuthentication",
    metadata: { name: "default", namespace },
    spec: { mtls: { mode: "STRICT" } },
  };
  // An ALLOW policy without rules matches nothing, so everything not allowed by a
  // service's own policy is denied.
  const denyAll: AuthorizationPolicy = {
    apiVersion: "security.istio.io/v1",
    kind: "AuthorizationPolicy",
    metadata: { name: "deny-all", namespace },
    spec: {},
  };
  const telemetry: Telemetry = {
    apiVersion: "telemetry.istio.io/v1",
    kind: "Telemetry",
    metadata: { name: "default", namespace },
    spec: { tracing: [{ randomSamplingPercentage: repo.mesh.tracingSamplePercent }] },
  };
  return [
    yamlFile("istio/mesh/peer-authentication.yaml", [manifestFile], [peer]),
    yamlFile("istio/mesh/deny-all.yaml", [manifestFile], [denyAll]),
    yamlFile("istio/mesh/telemetry.yaml", [manifestFile], [telemetry]),
  ];
}

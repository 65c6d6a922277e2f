/**
 * The manifest's exceptions that need Istio resources. Only control-plane-jwks does:
 * probes and metrics scraping are pod annotations (deploy/generated).
 */
import type { EffectiveRepo } from "../../model/effective-types";
import { appSelector } from "../naming";
import { type RenderedFile, yamlFile } from "../output";
import type { AuthorizationPolicy, PeerAuthentication } from "./istio-types";

export function renderExceptions(repo: EffectiveRepo): RenderedFile[] {
  const { namespace, manifestFile } = repo.mesh;
  return repo.mesh.exceptions.flatMap((exception) => {
    if (exception.kind !== "control-plane-jwks") return [];
    const selector = { matchLabels: appSelector(exception.service) };
    // istiod has no sidecar: plaintext is accepted on this one port of this workload,
    // the rest of the workload stays STRICT.
    const peer: PeerAuthentication = {
      apiVersion: "security.istio.io/v1",
      kind: "PeerAuthentication",
      metadata: { name: exception.name, namespace },
      spec: {
        selector,
        mtls: { mode: "STRICT" },
        portLevelMtls: { [String(exception.port)]: { mode: "PERMISSIVE" } },
      },
    };
    // No `from`: a plaintext caller has no principal to match. Only GET of the one path.
    const allow: AuthorizationPolicy = {
      apiVersion: "security.istio.io/v1",
      kind: "AuthorizationPolicy",
      metadata: { name: exception.name, namespace },
      spec: {
        selector,
        action: "ALLOW",
        rules: [
          {
            to: [
              {
                operation: {
                  ports: [String(exception.port)],
                  methods: ["GET"],
                  paths: [exception.path],
                },
              },
            ],
          },
        ],
      },
    };
    return [yamlFile(`istio/mesh/exception-${exception.name}.yaml`, [manifestFile], [peer, allow])];
  });
}

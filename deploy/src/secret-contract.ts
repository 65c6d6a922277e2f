/**
 * The Secrets and ConfigMaps the manifests read but do not contain: created by
 * `make dev` (dev-secrets.ts) in a kind or minikube cluster, by an operator such as
 * External Secrets in production. The tests hold the overlays to this list, so a new
 * reference cannot be added without saying where its value comes from.
 */
import { SERVICES, type ServiceName } from "@shop/libs/mesh";

export const NAMESPACE = "shop";

export interface ExternalObject {
  kind: "Secret" | "ConfigMap";
  name: string;
  /** Keys the pods read. */
  keys: string[];
  /** Keys read with `optional: true`. */
  optionalKeys?: string[];
  /** Keys only the dev overlay reads (its data stores and init Job). */
  devKeys?: string[];
  /** Only the dev overlay reads it (its in-cluster data stores). */
  devOnly?: boolean;
}

export const identitySecret = (service: ServiceName) => `${service}-identity`;
export const databaseSecret = (service: ServiceName) => `${service}-database`;
export const SERVICE_JWKS_CONFIGMAP = "service-jwks";
export const SERVICE_JWKS_KEY = "service-jwks.json";
export const IDENTITY_KEY = "key.pem";

/** Everything the dev or prod overlay references from outside itself. */
export function externalObjects(): ExternalObject[] {
  return [
    ...SERVICES.map(
      (s): ExternalObject => ({
        kind: "Secret",
        name: identitySecret(s.name),
        keys: [IDENTITY_KEY],
      }),
    ),
    ...SERVICES.filter((s) => s.database).map(
      (s): ExternalObject => ({
        kind: "Secret",
        name: databaseSecret(s.name),
        keys: ["url"],
        // The role's password, for the dev overlay's init Job that creates the role.
        devKeys: ["password"],
      }),
    ),
    { kind: "Secret", name: "user-service-kek", keys: ["kek"], optionalKeys: ["previous"] },
    // The password alone: for the dev overlay's Redis itself.
    { kind: "Secret", name: "redis", keys: ["url"], devKeys: ["password"] },
    { kind: "Secret", name: "postgres-admin", keys: ["password", "url"], devOnly: true },
    { kind: "ConfigMap", name: SERVICE_JWKS_CONFIGMAP, keys: [SERVICE_JWKS_KEY] },
  ];
}

/**
 * The project's rules for what deploy/ builds, each returning its violations as
 * readable lines (an empty list passes), so a failing test says what broke where.
 */
import { SERVICES } from "@shop/libs/mesh";
import { externalObjects } from "../../src/secret-contract";
import { externalReferences, id, type Json, type KubeObject, podTemplates } from "./kube-objects";

/** Istio's protocol prefixes for port names (protocol selection, no sniffing). */
const ISTIO_PROTOCOLS = [
  "grpc",
  "grpc-web",
  "http",
  "http2",
  "https",
  "tcp",
  "tls",
  "mongo",
  "mysql",
  "redis",
  "udp",
];

export function deploymentViolations(objects: readonly KubeObject[]): string[] {
  const out: string[] = [];
  for (const d of objects.filter((o) => o.kind === "Deployment")) {
    const at = id(d);
    const pod = d.spec.template;
    for (const [where, labels] of [
      ["labels", d.metadata.labels],
      ["pod labels", pod.metadata?.labels],
    ] as const) {
      if (!labels?.app) out.push(`${at}: ${where} lack app`);
      if (!labels?.version) out.push(`${at}: ${where} lack version`);
    }
    const selector = d.spec.selector?.matchLabels ?? {};
    if (Object.keys(selector).join() !== "app")
      out.push(`${at}: selector must be app only (the version label changes on promote)`);
    if (!pod.spec.serviceAccountName) out.push(`${at}: no serviceAccountName`);
    for (const c of pod.spec.containers as Json[]) {
      for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"])
        if (!c[probe]) out.push(`${at}/${c.name}: no ${probe}`);
      const r = c.resources ?? {};
      if (!r.requests?.cpu || !r.requests?.memory || !r.limits?.memory)
        out.push(`${at}/${c.name}: resources need cpu and memory requests and a memory limit`);
    }
  }
  return out;
}

/** Non-root, no privilege escalation, read-only root, no capabilities: every pod. */
export function securityViolations(objects: readonly KubeObject[]): string[] {
  const out: string[] = [];
  for (const t of podTemplates(objects)) {
    const at = id(t.owner);
    const pod = t.spec.securityContext ?? {};
    if (pod.runAsNonRoot !== true) out.push(`${at}: pod securityContext.runAsNonRoot is not true`);
    if (!(pod.runAsUser > 0))
      out.push(`${at}: pod securityContext.runAsUser must be a non-zero uid`);
    if (pod.seccompProfile?.type !== "RuntimeDefault")
      out.push(`${at}: no RuntimeDefault seccomp profile`);
    if (t.spec.automountServiceAccountToken !== false)
      out.push(`${at}: automountServiceAccountToken must be false (nothing here calls the API)`);
    for (const c of t.spec.containers as Json[]) {
      const s = c.securityContext ?? {};
      if (s.allowPrivilegeEscalation !== false)
        out.push(`${at}/${c.name}: allowPrivilegeEscalation`);
      if (s.readOnlyRootFilesystem !== true)
        out.push(`${at}/${c.name}: root filesystem not read-only`);
      if (!(s.capabilities?.drop ?? []).includes("ALL"))
        out.push(`${at}/${c.name}: capabilities not dropped`);
      if (s.runAsUser === 0 || s.privileged)
        out.push(`${at}/${c.name}: runs as root or privileged`);
    }
  }
  return out;
}

/**
 * Every Service port is named for Istio's protocol selection and says its appProtocol;
 * each process's gRPC port is `grpc`, its HTTP port `http` (gateway) or `http-admin`.
 */
export function portViolations(objects: readonly KubeObject[]): string[] {
  const out: string[] = [];
  for (const s of objects.filter((o) => o.kind === "Service")) {
    for (const p of s.spec.ports as Json[]) {
      const prefix = ISTIO_PROTOCOLS.find((x) => p.name === x || p.name?.startsWith(`${x}-`));
      if (!prefix)
        out.push(`${id(s)}: port ${p.port} name "${p.name}" has no Istio protocol prefix`);
      if (!p.appProtocol) out.push(`${id(s)}: port ${p.port} has no appProtocol`);
    }
    const spec = SERVICES.find((x) => x.name === s.metadata.name);
    if (!spec) continue;
    const byPort = new Map((s.spec.ports as Json[]).map((p) => [p.port, p]));
    const grpc = byPort.get(spec.grpcPort);
    if (grpc?.name !== "grpc" || grpc?.appProtocol !== "grpc")
      out.push(`${id(s)}: gRPC port ${spec.grpcPort} must be named grpc with appProtocol grpc`);
    const http = byPort.get(spec.httpPort);
    const httpName = spec.name === "api-gateway" ? "http" : "http-admin";
    if (http?.name !== httpName || http?.appProtocol !== "http")
      out.push(
        `${id(s)}: HTTP port ${spec.httpPort} must be named ${httpName} with appProtocol http`,
      );
  }
  return out;
}

/**
 * Data stores and Jobs run without a sidecar (a Job with one never completes; a store
 * has nothing for it to do); the services' Deployments run with one.
 */
export function sidecarViolations(objects: readonly KubeObject[]): string[] {
  const out: string[] = [];
  for (const t of podTemplates(objects)) {
    const off = t.labels["sidecar.istio.io/inject"] === "false";
    const wantsOff = t.owner.kind !== "Deployment";
    if (wantsOff && !off) out.push(`${id(t.owner)}: needs sidecar.istio.io/inject: "false"`);
    if (!wantsOff && off) out.push(`${id(t.owner)}: a service must run with its sidecar`);
  }
  return out;
}

/**
 * What pods read from Secrets and ConfigMaps exists: in the build, or in the list of
 * objects provided from outside it (secret-contract.ts), dev-only ones only in dev.
 */
export function referenceViolations(
  objects: readonly KubeObject[],
  overlay: "dev" | "prod",
): string[] {
  const out: string[] = [];
  const contract = externalObjects().filter((e) => overlay === "dev" || !e.devOnly);
  const built = new Map(
    objects
      .filter((o) => o.kind === "ConfigMap" || o.kind === "Secret")
      .map((o) => [`${o.kind}/${o.metadata.name}`, Object.keys(o.data ?? {})]),
  );
  for (const t of podTemplates(objects)) {
    for (const ref of externalReferences(t)) {
      const name = `${ref.kind}/${ref.name}`;
      const inBuild = built.get(name);
      if (inBuild) {
        if (ref.key && !inBuild.includes(ref.key) && !ref.optional)
          out.push(`${id(t.owner)}: ${name} has no key ${ref.key}`);
        continue;
      }
      const external = contract.find((e) => e.kind === ref.kind && e.name === ref.name);
      if (!external) {
        out.push(
          `${id(t.owner)}: reads ${name}, which neither the build nor secret-contract.ts provides`,
        );
        continue;
      }
      const keys = [
        ...external.keys,
        ...(ref.optional ? (external.optionalKeys ?? []) : []),
        ...(overlay === "dev" ? (external.devKeys ?? []) : []),
      ];
      if (ref.key && !keys.includes(ref.key))
        out.push(`${id(t.owner)}: reads ${name} key ${ref.key}, not in secret-contract.ts`);
    }
  }
  return out;
}

/**
 * Every principal an AuthorizationPolicy names is a ServiceAccount the build creates
 * (or the ingress gateway's, which Istio's installation creates), and every pod runs
 * as a ServiceAccount the build creates.
 */
export function principalViolations(
  objects: readonly KubeObject[],
  istio: readonly KubeObject[],
  externalAccounts: readonly string[],
): string[] {
  const out: string[] = [];
  const accounts = new Set(
    objects
      .filter((o) => o.kind === "ServiceAccount")
      .map((o) => `${o.metadata.namespace}/${o.metadata.name}`),
  );
  for (const policy of istio.filter((o) => o.kind === "AuthorizationPolicy")) {
    for (const rule of (policy.spec?.rules ?? []) as Json[]) {
      for (const from of (rule.from ?? []) as Json[]) {
        for (const principal of from.source?.principals ?? []) {
          const match = /^cluster\.local\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(principal);
          const account = match ? `${match[1]}/${match[2]}` : undefined;
          if (!account || (!accounts.has(account) && !externalAccounts.includes(account)))
            out.push(
              `AuthorizationPolicy/${policy.metadata.name}: no ServiceAccount for ${principal}`,
            );
        }
      }
    }
  }
  for (const t of podTemplates(objects)) {
    const name = t.spec.serviceAccountName;
    if (name && !accounts.has(`${t.namespace}/${name}`))
      out.push(`${id(t.owner)}: runs as ServiceAccount ${name}, which the build does not create`);
  }
  return out;
}

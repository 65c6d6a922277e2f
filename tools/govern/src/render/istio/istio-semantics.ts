/**
 * Istio's semantic rules, checked on rendered YAML (what istiod's validation webhook
 * would refuse or silently misread), since no cluster is at hand offline:
 * - `retryOn` tokens are Envoy's HTTP or gRPC conditions (or an HTTP status);
 * - durations parse, and the ones Istio requires positive are;
 * - route weights are 0-100 and add up to 100;
 * - a destination's subset exists in the DestinationRule of its host;
 * - `attempts: 0` stands alone (Istio refuses retry fields on disabled retries);
 * - a route without a match comes last (the routes after it are unreachable);
 * - principals name service accounts that exist (rendered, or the ingress's);
 * - AuthorizationPolicy ports are numbers and paths absolute.
 */
import { LineCounter, parseAllDocuments } from "yaml";
import { RETRY_ON_GRPC, RETRY_ON_HTTP } from "../../policy/types";
import {
  type Finding,
  findingAt,
  type PathSegment,
  type YamlSource,
} from "../../policy/yaml-source";
import type { RenderedFile } from "../output";
import type {
  AuthorizationOperation,
  AuthorizationPolicy,
  DestinationRule,
  HttpRoute,
  HttpRouteDestination,
  VirtualService,
} from "./istio-types";

type Doc = YamlSource & {
  data: { kind?: string; metadata?: { name?: string; namespace?: string } };
};

const GO_DURATION = /^(\d+(\.\d+)?(h|m|s|ms|us|µs|ns))+$/;
const RETRY_TOKENS = new Set<string>([...RETRY_ON_GRPC, ...RETRY_ON_HTTP]);

function documents(files: RenderedFile[]): Doc[] {
  return files
    .filter((f) => f.path.endsWith(".yaml"))
    .flatMap((f) => {
      const lines = new LineCounter();
      return parseAllDocuments(f.content, { lineCounter: lines }).flatMap((doc) => {
        if (!("contents" in doc)) return [];
        const data = doc.toJS() as Doc["data"] | null;
        return data ? [{ file: f.path, text: f.content, doc, lines, data }] : [];
      });
    });
}

/** Every rule above, over the rendered files; `extraAccounts` are `ns/name` outside them. */
export function istioSemanticFindings(
  files: RenderedFile[],
  extraAccounts: string[] = [],
): Finding[] {
  const docs = documents(files);
  const findings: Finding[] = [];
  const at = (d: Doc, path: PathSegment[], message: string) =>
    findings.push(findingAt(d, path, message));
  const of = (kind: string) => docs.filter((d) => d.data.kind === kind);

  const subsets = new Map<string, Set<string>>();
  for (const d of of("DestinationRule")) {
    const spec = (d.data as DestinationRule).spec;
    subsets.set(spec?.host, new Set((spec?.subsets ?? []).map((s) => s.name)));
    const od = spec?.trafficPolicy?.outlierDetection ?? {};
    for (const key of ["interval", "baseEjectionTime"] as const)
      if (od[key] !== undefined)
        duration(d, ["spec", "trafficPolicy", "outlierDetection", key], od[key], true);
    const pool = spec?.trafficPolicy?.connectionPool ?? {};
    if (pool.tcp?.connectTimeout !== undefined)
      duration(
        d,
        ["spec", "trafficPolicy", "connectionPool", "tcp", "connectTimeout"],
        pool.tcp.connectTimeout,
        true,
      );
  }

  function duration(d: Doc, path: PathSegment[], value: unknown, positive: boolean) {
    if (typeof value !== "string" || !GO_DURATION.test(value))
      at(d, path, `"${value}" is not a duration`);
    else if (positive && /^0+(\.0+)?[a-zµ]+$/.test(value))
      at(d, path, `${path.at(-1)} must be at least 1ms`);
  }

  for (const d of of("VirtualService")) {
    const routes: HttpRoute[] = (d.data as VirtualService).spec?.http ?? [];
    const names = new Set<string>();
    routes.forEach((route, r) => {
      const here: PathSegment[] = ["spec", "http", r];
      if (route.name !== undefined) {
        if (names.has(route.name)) at(d, [...here, "name"], `route name "${route.name}" twice`);
        names.add(route.name);
      }
      if (!route.match && r < routes.length - 1)
        at(d, here, "a route without match must be last: the routes after it never match");
      if (route.timeout !== undefined) duration(d, [...here, "timeout"], route.timeout, false);
      const dests: HttpRouteDestination[] = route.route ?? [];
      if (dests.length === 0) at(d, [...here, "route"], "a route needs a destination");
      const weights = dests.map((x) => x.weight ?? (dests.length === 1 ? 100 : 0));
      weights.forEach((w, i) => {
        if (!Number.isInteger(w) || w < 0 || w > 100)
          at(d, [...here, "route", i, "weight"], `weight ${w} is not an integer from 0 to 100`);
      });
      const total = weights.reduce((a, b) => a + b, 0);
      if (dests.length > 0 && total !== 100)
        at(d, [...here, "route"], `weights add up to ${total}, not 100`);
      dests.forEach((x, i) => {
        const subset = x.destination?.subset;
        if (subset && !subsets.get(x.destination.host)?.has(subset))
          at(
            d,
            [...here, "route", i, "destination", "subset"],
            `no subset "${subset}" in a DestinationRule for ${x.destination.host}`,
          );
      });
      const retries = route.retries;
      if (retries) {
        if (!Number.isInteger(retries.attempts) || retries.attempts < 0)
          at(d, [...here, "retries", "attempts"], "attempts must be a non-negative integer");
        if (retries.attempts === 0 && Object.keys(retries).some((k) => k !== "attempts"))
          at(
            d,
            [...here, "retries"],
            "attempts: 0 disables retries: no other retry field may be set",
          );
        if (retries.perTryTimeout !== undefined)
          duration(d, [...here, "retries", "perTryTimeout"], retries.perTryTimeout, true);
        for (const token of String(retries.retryOn ?? "")
          .split(",")
          .filter(Boolean))
          if (!RETRY_TOKENS.has(token) && !/^[1-5]\d\d$/.test(token))
            at(d, [...here, "retries", "retryOn"], `"${token}" is not a retry condition`);
      }
      if (route.corsPolicy?.maxAge !== undefined)
        duration(d, [...here, "corsPolicy", "maxAge"], route.corsPolicy.maxAge, false);
    });
  }

  const accounts = new Set([
    ...extraAccounts,
    ...of("ServiceAccount").map((d) => `${d.data.metadata?.namespace}/${d.data.metadata?.name}`),
  ]);
  for (const d of of("AuthorizationPolicy"))
    ((d.data as AuthorizationPolicy).spec?.rules ?? []).forEach((rule, r) => {
      (rule.from ?? []).forEach((from, f) => {
        for (const key of ["principals", "notPrincipals"] as const)
          (from.source?.[key] ?? []).forEach((p, i) => {
            const m = /^[^/]+\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(p);
            if (!m || !accounts.has(`${m[1]}/${m[2]}`))
              at(
                d,
                ["spec", "rules", r, "from", f, "source", key, i],
                `principal "${p}" names no existing service account`,
              );
          });
      });
      (rule.to ?? []).forEach((to, t) => {
        const op: AuthorizationOperation = to.operation ?? {};
        for (const key of ["ports", "notPorts"] as const)
          (op[key] ?? []).forEach((port: unknown, i) => {
            if (typeof port !== "string" || !/^\d+$/.test(port))
              at(
                d,
                ["spec", "rules", r, "to", t, "operation", key, i],
                `port ${JSON.stringify(port)} must be a number in a string`,
              );
          });
        for (const key of ["paths", "notPaths"] as const)
          (op[key] ?? []).forEach((path: unknown, i) => {
            if (typeof path !== "string" || !/^[/*]/.test(path))
              at(
                d,
                ["spec", "rules", r, "to", t, "operation", key, i],
                `path ${JSON.stringify(path)} must start with /`,
              );
          });
      });
    });
  return findings;
}

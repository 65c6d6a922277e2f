/**
 * `.repo/generated/api-gateway.edge.json`: what only the api-gateway process enforces
 * (rate-limit groups, response caching per RPC, CORS in local mode, the JWT settings and
 * the public routes), in milliseconds, from the gateway's policy.
 */
import type { EffectiveRepo, EffectiveService } from "../model/effective-types";
import { durationMs } from "../policy/duration";
import { jsonFile, type RenderedFile } from "./output";

export interface EdgeConfig {
  generatedFrom: string[];
  hosts: string[];
  jwt: { issuer: string; audiences: string[]; jwksUri: string };
  publicPaths: string[];
  rateLimits: Record<
    string,
    { key: "client-ip" | "user"; limit: number; windowMs: number; rpcs: string[] }
  >;
  /** By full RPC name. */
  cache: Record<string, { ttlMs: number }>;
  /** Applied by the gateway only in MESH_MODE=local: in the mesh the ingress answers CORS. */
  cors: {
    allowOrigins: string[];
    allowMethods: string[];
    allowHeaders: string[];
    exposeHeaders: string[];
    maxAgeSeconds: number;
    allowCredentials: boolean;
  };
}

export function edgeConfig(repo: EffectiveRepo, gateway: EffectiveService): EdgeConfig {
  const edge = gateway.edge!;
  const sorted = <T>(record: Record<string, T>) =>
    Object.entries(record).sort(([a], [b]) => a.localeCompare(b));
  return {
    generatedFrom: [gateway.file, repo.mesh.manifestFile],
    hosts: [...edge.hosts],
    jwt: { ...edge.jwt, audiences: [...edge.jwt.audiences] },
    publicPaths: [...edge.publicPaths],
    rateLimits: Object.fromEntries(
      sorted(edge.rateLimits).map(([name, g]) => [
        name,
        {
          key: g.key,
          limit: g.limit,
          windowMs: durationMs(g.window),
          rpcs: [...(g.rpcs ?? [])].sort(),
        },
      ]),
    ),
    cache: responseCacheRules(gateway),
    cors: {
      allowOrigins: [...edge.cors.allowOrigins],
      allowMethods: [...edge.cors.allowMethods],
      allowHeaders: [...edge.cors.allowHeaders],
      exposeHeaders: [...edge.cors.exposeHeaders],
      maxAgeSeconds: durationMs(edge.cors.maxAge) / 1000,
      allowCredentials: edge.cors.allowCredentials,
    },
  };
}

/** The RPCs whose answers the edge caches, with their TTL in ms, by full RPC name. */
export function responseCacheRules(service: EffectiveService): Record<string, { ttlMs: number }> {
  return Object.fromEntries(
    Object.entries(service.edge?.cache ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([rpc, rule]) => [rpc, { ttlMs: durationMs(rule.ttl) }]),
  );
}

export function renderEdgeConfig(repo: EffectiveRepo): RenderedFile[] {
  return repo.services
    .filter((s) => s.edge)
    .map((s) => jsonFile(`.repo/generated/${s.name}.edge.json`, edgeConfig(repo, s)));
}

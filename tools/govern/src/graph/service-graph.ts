/**
 * The service graph (who calls whom, which RPCs, mTLS, canary weights, events and data
 * stores) as one neutral edge list, written out as Mermaid and as Graphviz DOT.
 */
import type { EffectiveRepo, EffectiveService } from "../model/effective-types";

export interface GraphNode {
  id: string;
  label: string;
  kind: "ingress" | "service" | "store";
}

export interface GraphEdge {
  from: string;
  to: string;
  label: string;
  kind: "rpc" | "http" | "event" | "data";
}

export interface ServiceGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

function versionsLabel(service: EffectiveService): string {
  return service.versions.map((v) => `${v.name} ${v.weight}%`).join(" · ");
}

function rpcLabel(rpcs: string[], generic: boolean): string {
  if (generic) return `${rpcs.length} non-internal RPCs`;
  return rpcs.length > 3 ? `${rpcs.slice(0, 3).join(", ")} +${rpcs.length - 3}` : rpcs.join(", ");
}

export function serviceGraph(repo: EffectiveRepo): ServiceGraph {
  const nodes: GraphNode[] = [{ id: "ingress", label: "Istio ingress", kind: "ingress" }];
  const edges: GraphEdge[] = [];
  const mtls = (s: EffectiveService) => (s.mtls === "STRICT" ? "mTLS" : "plaintext");
  for (const s of repo.services) {
    nodes.push({ id: s.name, label: `${s.name}\\n${versionsLabel(s)}`, kind: "service" });
    if (s.edge)
      edges.push({
        from: "ingress",
        to: s.name,
        label: `REST :${s.httpPort}, gRPC :${s.grpcPort}`,
        kind: "rpc",
      });
    for (const dep of s.dependencies.services)
      edges.push({
        from: s.name,
        to: dep.service,
        label: `${rpcLabel(dep.rpcs, dep.generic)} · ${mtls(s)}`,
        kind: "rpc",
      });
    if (s.dependencies.jwks && s.dependencies.jwks !== s.name)
      edges.push({ from: s.name, to: s.dependencies.jwks, label: "JWKS", kind: "http" });
    for (const c of s.dependencies.consumes)
      edges.push({ from: c.from, to: s.name, label: c.events.join(", "), kind: "event" });
  }
  for (const [name, store] of Object.entries(repo.mesh.infrastructure).sort(([a], [b]) =>
    a.localeCompare(b),
  )) {
    if (store.kind === "otlp") continue;
    nodes.push({ id: name, label: name, kind: "store" });
    for (const s of repo.services) {
      const uses =
        store.kind === "postgres" ? s.dependencies.postgres : s.dependencies.redis.join(", ");
      if (uses) edges.push({ from: s.name, to: name, label: uses, kind: "data" });
    }
  }
  return { nodes, edges };
}

const mermaidId = (id: string) => id.replace(/-/g, "_");

export function toMermaid(graph: ServiceGraph): string {
  const lines = ["flowchart LR"];
  for (const n of graph.nodes) {
    const label = n.label.replace(/\\n/g, "<br/>");
    const shape =
      n.kind === "store"
        ? `[("${label}")]`
        : n.kind === "ingress"
          ? `(["${label}"])`
          : `["${label}"]`;
    lines.push(`  ${mermaidId(n.id)}${shape}`);
  }
  for (const e of graph.edges) {
    const arrow = e.kind === "rpc" ? "-->" : "-.->";
    lines.push(`  ${mermaidId(e.from)} ${arrow}|"${e.label}"| ${mermaidId(e.to)}`);
  }
  return `${lines.join("\n")}\n`;
}

export function toDot(graph: ServiceGraph): string {
  const lines = [
    "digraph mesh {",
    "  rankdir=LR;",
    '  node [fontname="Helvetica", fontsize=11, shape=box, style="rounded,filled", fillcolor="#eef3fb"];',
    '  edge [fontname="Helvetica", fontsize=9];',
  ];
  for (const n of graph.nodes) {
    const shape = n.kind === "store" ? "cylinder" : n.kind === "ingress" ? "oval" : "box";
    lines.push(`  "${n.id}" [label="${n.label}", shape=${shape}];`);
  }
  for (const e of graph.edges) {
    const style = e.kind === "rpc" ? "solid" : e.kind === "event" ? "dashed" : "dotted";
    lines.push(`  "${e.from}" -> "${e.to}" [label="${e.label}", style=${style}];`);
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

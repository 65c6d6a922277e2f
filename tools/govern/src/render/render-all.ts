/**
 * A full render: every file govern owns under istio/, deploy/generated/ and
 * .repo/generated/, sorted by path. Pure: writing is `writeRendered`'s job, and
 * `govern check` compares this with the files on disk.
 */
import { renderGraph } from "../graph/render-graph";
import type { EffectiveRepo } from "../model/effective-types";
import { formatFinding } from "../policy/yaml-source";
import { renderDeploy } from "./deploy/render-deploy";
import { renderEdgeConfig } from "./edge-config";
import { istioSemanticFindings } from "./istio/istio-semantics";
import { renderIstio } from "./istio/render-istio";
import { type RenderedFile, textFile } from "./output";
import { renderRuntimeConfigs } from "./runtime-config";

/** The folders govern writes, and nothing else. */
export const OUTPUT_DIRS = ["istio", "deploy/generated", ".repo/generated"] as const;

function generatedReadme(repo: EffectiveRepo, files: RenderedFile[]): RenderedFile {
  const json = files.filter(
    (f) => f.path.startsWith(".repo/generated/") && f.path.endsWith(".json"),
  );
  const lines = [
    "# .repo/generated",
    "",
    "Rendered by `npx govern render`; never edited by hand (`govern check` fails on drift).",
    "JSON has no comments, so the sources of each file are listed here.",
    "",
    "| file | rendered from |",
    "| --- | --- |",
    ...json.map((f) => {
      const name = f.path.replace(".repo/generated/", "");
      const service = repo.services.find((s) => name.startsWith(`${s.name}.`));
      const sources = [repo.mesh.manifestFile, ...(service ? [service.file] : [])];
      return `| ${name} | ${sources.join(", ")} |`;
    }),
    "| graph.mmd, graph.svg | every policy |",
    "",
  ];
  return textFile(".repo/generated/README.md", lines.join("\n"));
}

export async function renderAll(repo: EffectiveRepo): Promise<RenderedFile[]> {
  const files = [
    ...renderIstio(repo),
    ...renderDeploy(repo),
    ...renderRuntimeConfigs(repo),
    ...renderEdgeConfig(repo),
    ...(await renderGraph(repo)),
  ];
  const all = [...files, generatedReadme(repo, files)];
  const { ingress } = repo.mesh;
  const invalid = istioSemanticFindings(all, [`${ingress.namespace}/${ingress.serviceAccount}`]);
  if (invalid.length > 0)
    throw new Error(
      `govern rendered invalid Istio resources:\n${invalid.map(formatFinding).join("\n")}`,
    );
  return all.sort((a, b) => a.path.localeCompare(b.path));
}

/**
 * `govern graph`: writes the service graph (.repo/generated/graph.mmd and graph.svg, the
 * same files `govern render` writes) and refreshes the README's Mermaid block between
 * `<!-- govern:graph -->` and `<!-- /govern:graph -->` when those markers exist.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GRAPH_MERMAID, GRAPH_SVG, renderGraph } from "../graph/render-graph";
import { serviceGraph, toMermaid } from "../graph/service-graph";
import { loadEffective } from "../model/load-effective";
import { renderAll } from "../render/render-all";
import { writeRendered } from "../render/write-rendered";
import { type Command, printFindings, takeOption } from "./command";

const START = "<!-- govern:graph -->";
const END = "<!-- /govern:graph -->";

/** `readme` with the block between the markers replaced; unchanged without markers. */
export function embedGraph(readme: string, mermaid: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start === -1 || end < start) return readme;
  const block = [
    START,
    "",
    "```mermaid",
    mermaid.trimEnd(),
    "```",
    "",
    `![Service graph](${GRAPH_SVG})`,
    "",
  ].join("\n");
  return `${readme.slice(0, start)}${block}${readme.slice(end)}`;
}

export const graphCommand: Command = {
  name: "graph",
  usage: "govern graph [--readme README.md]",
  summary: "write the service graph as Mermaid and SVG, and embed it in the README",
  async run(ctx) {
    const readmePath = join(ctx.root, takeOption(ctx.args, "--readme") ?? "README.md");
    const result = loadEffective(ctx.root);
    if (!result.ok) {
      printFindings(ctx, result.findings);
      return 1;
    }
    // Through the full render so the rest of .repo/generated/ is not taken for stale.
    const graphFiles = await renderGraph(result.repo);
    const others = (await renderAll(result.repo)).filter(
      (f) => !graphFiles.some((g) => g.path === f.path),
    );
    writeRendered(ctx.root, [...others, ...graphFiles]);
    ctx.out(`wrote ${GRAPH_MERMAID} and ${GRAPH_SVG}`);
    if (existsSync(readmePath)) {
      const before = readFileSync(readmePath, "utf8");
      const after = embedGraph(before, toMermaid(serviceGraph(result.repo)));
      if (after !== before) {
        writeFileSync(readmePath, after);
        ctx.out(`embedded the graph in ${readmePath}`);
      } else if (!before.includes(START))
        ctx.out(`no ${START} marker in ${readmePath}: not embedded`);
    }
    return 0;
  },
};

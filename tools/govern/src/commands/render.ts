/** `govern render`: writes istio/, deploy/generated/ and .repo/generated/ from the policies. */
import { loadEffective } from "../model/load-effective";
import { renderAll } from "../render/render-all";
import { writeRendered } from "../render/write-rendered";
import { type Command, printFindings } from "./command";

export const renderCommand: Command = {
  name: "render",
  usage: "govern render",
  summary: "render istio/, deploy/generated/ and .repo/generated/ from the policies",
  async run(ctx) {
    const result = loadEffective(ctx.root);
    if (!result.ok) {
      printFindings(ctx, result.findings);
      return 1;
    }
    const files = await renderAll(result.repo);
    const { written, removed } = writeRendered(ctx.root, files);
    for (const f of written) ctx.out(`wrote   ${f}`);
    for (const f of removed) ctx.out(`removed ${f}`);
    ctx.out(
      `govern: ${files.length} files rendered, ${written.length} changed, ${removed.length} removed`,
    );
    return 0;
  },
};

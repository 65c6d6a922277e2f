/**
 * `govern canary <service> <weight> [--version v2]`, `govern promote <service>`,
 * `govern rollback <service>`: edit the policy's version weights (comments kept),
 * validate, re-render, and with `--apply` run `kubectl apply` on what changed. An edit
 * that does not validate is not written.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { applyPlan, runKubectl } from "../canary/kubectl-apply";
import {
  CanaryError,
  promoteCanary,
  rollbackCanary,
  setCanaryWeight,
} from "../canary/version-weights";
import { loadEffective } from "../model/load-effective";
import { catalogueEntry } from "../policy/semantic/context";
import { renderAll } from "../render/render-all";
import { writeRendered } from "../render/write-rendered";
import { type Command, type CommandContext, printFindings, takeFlag, takeOption } from "./command";

async function editAndRender(
  ctx: CommandContext,
  service: string | undefined,
  edit: (text: string) => string,
  apply: boolean,
): Promise<number> {
  const dir = service ? catalogueEntry(service)?.dir : undefined;
  if (!dir) {
    ctx.err(`govern: unknown service "${service ?? ""}"`);
    return 2;
  }
  const file = join(ctx.root, dir, ".repo", "policy.yaml");
  const before = readFileSync(file, "utf8");
  let after: string;
  try {
    after = edit(before);
  } catch (error) {
    if (!(error instanceof CanaryError)) throw error;
    ctx.err(`govern: ${error.message}`);
    return 1;
  }
  writeFileSync(file, after);
  const result = loadEffective(ctx.root);
  if (!result.ok) {
    writeFileSync(file, before);
    printFindings(ctx, result.findings);
    ctx.err("govern: the edited policy does not validate; left unchanged");
    return 1;
  }
  const { written, removed } = writeRendered(ctx.root, await renderAll(result.repo));
  const versions = result.repo.services.find((s) => s.name === service)!.versions;
  ctx.out(`${service}: ${versions.map((v) => `${v.name} ${v.weight}%`).join(", ")}`);
  for (const f of [...written, ...removed]) ctx.out(`changed ${f}`);
  if (!apply) return 0;
  const plan = applyPlan(written);
  for (const f of plan.viaOverlay) ctx.out(`apply with the deploy overlay: ${f}`);
  return runKubectl(ctx.root, plan.apply);
}

export const canaryCommand: Command = {
  name: "canary",
  usage: "govern canary <service> <weight> [--version <name>] [--apply]",
  summary: "send <weight>% of a service's traffic to its canary version",
  async run(ctx) {
    const apply = takeFlag(ctx.args, "--apply");
    const version = takeOption(ctx.args, "--version");
    const [service, weight] = ctx.args;
    if (!service || weight === undefined) {
      ctx.err(`usage: ${this.usage}`);
      return 2;
    }
    return editAndRender(ctx, service, (t) => setCanaryWeight(t, Number(weight), version), apply);
  },
};

export const promoteCommand: Command = {
  name: "promote",
  usage: "govern promote <service> [--apply]",
  summary: "make the canary the only version",
  async run(ctx) {
    const apply = takeFlag(ctx.args, "--apply");
    return editAndRender(ctx, ctx.args[0], promoteCanary, apply);
  },
};

export const rollbackCommand: Command = {
  name: "rollback",
  usage: "govern rollback <service> [--apply]",
  summary: "remove the canary, all traffic back to the stable version",
  async run(ctx) {
    const apply = takeFlag(ctx.args, "--apply");
    return editAndRender(ctx, ctx.args[0], rollbackCanary, apply);
  },
};

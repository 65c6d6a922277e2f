/**
 * `tsx deploy/src/cli.ts <command>`: the steps of deploy/scripts/*.sh that are easier
 * (and testable) in TypeScript. Every command works on files only; the scripts run
 * kubectl, docker and the cluster tools.
 *
 *   secrets <dir>                                  generate dev secrets; print secrets.yaml
 *   sync-canaries                                  rewrite the canary registry from deploy/generated
 *   canaries                                       print the services with a canary
 *   next-version <service>                         print the --version a new canary needs
 *   kustomization <workDir> <overlay> all <tag>    write the work kustomization (make dev)
 *   kustomization <workDir> <overlay> canary <service> <tag>
 *   kustomization <workDir> <overlay> promote|rollback <service>
 *   phases <manifests.yaml> <outDir>               split built manifests into apply phases
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { canariesInRegistry, syncCanaryRegistry } from "./canary-registry";
import { writeDevSecrets } from "./dev-secrets";
import { parseManifests, writePhases } from "./manifest-phases";
import { nextCanaryVersion, policyVersions } from "./policy-versions";
import { type TagChange, writeWorkKustomization } from "./work-kustomization";

const ROOT = resolve(__dirname, "..", "..");

function usage(): never {
  console.error(readFileSync(__filename, "utf8").match(/\/\*\*([\s\S]*?)\*\//)![1]);
  process.exit(2);
}

function tagChange(kind: string | undefined, rest: string[]): TagChange {
  const [a, b] = rest;
  if (kind === "all" && a) return { kind, tag: a };
  if (kind === "canary" && a && b) return { kind, service: a, tag: b };
  if ((kind === "promote" || kind === "rollback") && a) return { kind, service: a };
  return usage();
}

async function main(argv: string[]): Promise<void> {
  const [command, ...args] = argv;
  switch (command) {
    case "secrets": {
      if (!args[0]) usage();
      console.log(await writeDevSecrets(resolve(args[0])));
      return;
    }
    case "sync-canaries": {
      const services = syncCanaryRegistry(ROOT);
      console.log(services.length ? `canaries: ${services.join(", ")}` : "canaries: none");
      return;
    }
    case "canaries":
      for (const s of canariesInRegistry(ROOT)) console.log(s);
      return;
    case "next-version": {
      if (!args[0]) usage();
      const version = nextCanaryVersion(policyVersions(ROOT, args[0]));
      if (version) console.log(version);
      return;
    }
    case "kustomization": {
      const [workDir, overlay, kind, ...rest] = args;
      if (!workDir || !overlay) usage();
      const tags = writeWorkKustomization({
        workDir: resolve(workDir),
        overlay: resolve(overlay),
        change: tagChange(kind, rest),
        canaries: canariesInRegistry(ROOT),
      });
      for (const [name, tag] of Object.entries(tags)) console.log(`image ${name}: ${tag}`);
      return;
    }
    case "phases": {
      const [input, out] = args;
      if (!input || !out) usage();
      const files = writePhases(parseManifests(readFileSync(input, "utf8")), resolve(out));
      for (const file of Object.values(files)) console.log(file);
      return;
    }
    default:
      usage();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});

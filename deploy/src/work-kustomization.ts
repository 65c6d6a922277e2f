/**
 * The kustomization `make dev` and the canary targets apply: the dev overlay with the
 * image tags of what was built, written into the git-ignored work folder. The tags are
 * kept in `images.json` beside it, so a canary of one service does not change the
 * others' images, and promote can give the stable Deployment the canary's image.
 *
 * Tags name the commit the image was built from (plus a hash of uncommitted changes):
 * an image tag always says what code it runs.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { SERVICES } from "@shop/libs/mesh";

/** Deployment name -> image tag: `product-service`, `product-service-canary`. */
export type ImageTags = Record<string, string>;

export type TagChange =
  /** make dev: every image is `tag`, the canaries' too: make dev deploys the working tree. */
  | { kind: "all"; tag: string }
  /** make canary: the service's canary image is `tag`. */
  | { kind: "canary"; service: string; tag: string }
  /** make promote: the stable Deployment runs the canary's image; the canary goes. */
  | { kind: "promote"; service: string }
  /** make rollback: the canary goes. */
  | { kind: "rollback"; service: string };

/** The tags after `change`, for the services in `canaries` (those with a canary now). */
export function nextTags(
  current: ImageTags,
  change: TagChange,
  canaries: readonly string[],
): ImageTags {
  const tags: ImageTags = { ...current };
  switch (change.kind) {
    case "all":
      for (const s of SERVICES) {
        tags[s.name] = change.tag;
        tags[`${s.name}-canary`] = change.tag;
      }
      break;
    case "canary":
      tags[`${change.service}-canary`] = change.tag;
      break;
    case "promote": {
      const canary = tags[`${change.service}-canary`];
      if (!canary) throw new Error(`no canary image recorded for ${change.service}`);
      tags[change.service] = canary;
      delete tags[`${change.service}-canary`];
      break;
    }
    case "rollback":
      delete tags[`${change.service}-canary`];
      break;
  }
  const fallback = change.kind === "all" || change.kind === "canary" ? change.tag : undefined;
  for (const s of SERVICES) {
    if (!tags[s.name] && fallback) tags[s.name] = fallback;
    const canary = `${s.name}-canary`;
    if (!canaries.includes(s.name)) delete tags[canary];
    else if (!tags[canary]) tags[canary] = tags[s.name] ?? fallback ?? "dev";
  }
  return Object.fromEntries(Object.entries(tags).sort(([a], [b]) => a.localeCompare(b)));
}

/** kustomization.yaml: `overlay` with every Deployment's image tag. */
export function kustomizationText(fromDir: string, overlay: string, tags: ImageTags): string {
  const images = Object.entries(tags).flatMap(([name, tag]) => {
    const stable = name.replace(/-canary$/, "");
    return [
      `  - name: shop/${name}`,
      ...(name === stable ? [] : [`    newName: shop/${stable}`]),
      `    newTag: "${tag}"`,
    ];
  });
  return [
    "# Written by `deploy/src/cli.ts kustomization` (make dev, make canary): not committed.",
    "apiVersion: kustomize.config.k8s.io/v1beta1",
    "kind: Kustomization",
    "resources:",
    `  - ${relative(fromDir, overlay)}`,
    "images:",
    ...images,
    "",
  ].join("\n");
}

/**
 * Applies `change` to `<workDir>/images.json` and writes `<workDir>/kustomize/`;
 * returns the tags.
 */
export function writeWorkKustomization(options: {
  workDir: string;
  overlay: string;
  change: TagChange;
  canaries: readonly string[];
}): ImageTags {
  const stateFile = join(options.workDir, "images.json");
  const current: ImageTags = existsSync(stateFile)
    ? JSON.parse(readFileSync(stateFile, "utf8"))
    : {};
  const tags = nextTags(current, options.change, options.canaries);
  const dir = join(options.workDir, "kustomize");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "kustomization.yaml"), kustomizationText(dir, options.overlay, tags));
  mkdirSync(dirname(stateFile), { recursive: true });
  writeFileSync(stateFile, `${JSON.stringify(tags, null, 2)}\n`);
  return tags;
}

/**
 * Edits of a policy's `versions` that keep the file as written (comments, order, quoting):
 * yaml's Document model changes only the touched nodes.
 *
 * The first version is the stable one, the second the canary.
 * - canary: the canary gets `weight`, the stable the rest (adds the canary version when
 *   `version` names a new one);
 * - promote: the canary becomes the only version, at 100;
 * - rollback: the canary is removed, the stable back at 100.
 */
import { isMap, isSeq, parseDocument, type YAMLSeq } from "yaml";

export class CanaryError extends Error {}

/**
 * Print the way the policies are written: `[a, b]`, long lines never folded. (A folded
 * `>-` scalar would come back on one line: service policies do not use them.)
 */
const KEEP_STYLE = { flowCollectionPadding: false, lineWidth: 0 } as const;

function versions(text: string) {
  const doc = parseDocument(text);
  if (doc.errors.length > 0)
    throw new CanaryError(`the policy does not parse: ${doc.errors[0]!.message}`);
  const seq = doc.get("versions", true);
  if (!isSeq(seq) || seq.items.length === 0) throw new CanaryError("the policy has no versions");
  return { doc, seq: seq as YAMLSeq };
}

const nameOf = (seq: YAMLSeq, i: number) => {
  const item = seq.items[i];
  return isMap(item) ? String(item.get("name")) : undefined;
};

export function setCanaryWeight(text: string, weight: number, version?: string): string {
  if (!Number.isInteger(weight) || weight < 0 || weight > 100)
    throw new CanaryError(`weight must be an integer from 0 to 100, not ${weight}`);
  const { doc, seq } = versions(text);
  if (seq.items.length === 1) {
    if (!version) throw new CanaryError("no canary version yet: name it with --version <name>");
    if (version === nameOf(seq, 0)) throw new CanaryError(`${version} is the stable version`);
    seq.add(doc.createNode({ name: version, weight }));
  } else if (version && version !== nameOf(seq, 1)) {
    throw new CanaryError(
      `the canary is ${nameOf(seq, 1)}, not ${version}: promote or roll it back first`,
    );
  }
  doc.setIn(["versions", 1, "weight"], weight);
  doc.setIn(["versions", 0, "weight"], 100 - weight);
  return doc.toString(KEEP_STYLE);
}

export function promoteCanary(text: string): string {
  const { doc, seq } = versions(text);
  if (seq.items.length < 2) throw new CanaryError("no canary to promote");
  doc.deleteIn(["versions", 0]);
  doc.setIn(["versions", 0, "weight"], 100);
  return doc.toString(KEEP_STYLE);
}

export function rollbackCanary(text: string): string {
  const { doc, seq } = versions(text);
  if (seq.items.length < 2) throw new CanaryError("no canary to roll back");
  doc.deleteIn(["versions", 1]);
  doc.setIn(["versions", 0, "weight"], 100);
  return doc.toString(KEEP_STYLE);
}

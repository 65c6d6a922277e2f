/**
 * @shop/govern: governance as code. The CLI (`runCli`) and the pieces it is built from,
 * for tests and tools that need the effective policy or a render without a subprocess.
 */
export { COMMANDS, runCli } from "./cli";
export { type BoundaryViolation, findBoundaryViolations } from "./import-boundaries";
export type { EffectiveRepo, EffectiveRpc, EffectiveService } from "./model/effective-types";
export { loadEffective } from "./model/load-effective";
export { loadPolicySet, type PolicySet } from "./policy/load";
export { type Finding, formatFinding } from "./policy/yaml-source";
export { type EdgeConfig, edgeConfig } from "./render/edge-config";
export { OUTPUT_DIRS, renderAll } from "./render/render-all";

/** Everything under deploy/generated/. */
import { boundOf } from "../../budgets/budget-catalog";
import type { EffectiveRepo } from "../../model/effective-types";
import type { Budgets } from "../../policy/types";
import type { RenderedFile } from "../output";
import { renderDataStores } from "./data-stores";
import { renderKustomization } from "./kustomization";
import { type ResourceBudget, renderWorkload } from "./workload";

/**
 * Container resources from the memory and CPU budgets: the service's own when it
 * tightened them, else the shared ones.
 */
export function resourceBudget(shared: Budgets, own: Budgets): ResourceBudget {
  return {
    memoryMb: boundOf("memory", own.memory) ?? boundOf("memory", shared.memory),
    cpuPercent: boundOf("cpu", own.cpu) ?? boundOf("cpu", shared.cpu),
  };
}

export function renderDeploy(repo: EffectiveRepo): RenderedFile[] {
  const files = [
    ...repo.services.flatMap((s) =>
      renderWorkload(repo, s, resourceBudget(repo.mesh.budgets, s.budgets)),
    ),
    ...renderDataStores(repo),
  ];
  return [...files, renderKustomization(repo, files)];
}

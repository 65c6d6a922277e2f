/** Everything under istio/: mesh-wide resources, exceptions, then each service's. */
import type { EffectiveRepo } from "../../model/effective-types";
import type { RenderedFile } from "../output";
import { renderAuthorization } from "./authorization";
import { renderEdge } from "./edge";
import { renderExceptions } from "./exceptions";
import { renderMeshWide } from "./mesh-wide";
import { renderSidecar } from "./sidecar";
import { renderTraffic } from "./traffic";

export function renderIstio(repo: EffectiveRepo): RenderedFile[] {
  return [
    ...renderMeshWide(repo),
    ...renderExceptions(repo),
    ...repo.services.flatMap((service) => [
      renderAuthorization(repo, service),
      ...renderTraffic(repo, service),
      ...renderSidecar(repo, service),
      ...(service.edge ? renderEdge(repo, service) : []),
    ]),
  ];
}

/**
 * Floors: settings a service may tighten but never loosen. The manifest's own mesh
 * defaults are held to the same floors, so a default cannot smuggle a loosening in.
 */
import { durationMs } from "../duration";
import type { PolicySet } from "../load";
import type { Floors, OutlierDetectionSpec, RetriesSpec } from "../types";
import type { Finding, PathSegment } from "../yaml-source";
import { type Report, reporter } from "./context";

function checkRetries(
  report: Report,
  path: PathSegment[],
  retries: RetriesSpec | undefined,
  maxAttempts: number,
  timeout: string | undefined,
): void {
  if (retries?.attempts !== undefined && retries.attempts > maxAttempts)
    report(
      [...path, "attempts"],
      `${retries.attempts} retry attempts loosen the floor maxRetryAttempts: ${maxAttempts}`,
    );
  if (retries?.perTryTimeout && timeout && durationMs(retries.perTryTimeout) > durationMs(timeout))
    report(
      [...path, "perTryTimeout"],
      `perTryTimeout ${retries.perTryTimeout} is longer than the timeout ${timeout}: it could never fire`,
    );
}

function checkTimeout(
  report: Report,
  path: PathSegment[],
  timeout: string | undefined,
  max: string,
) {
  if (timeout && durationMs(timeout) > durationMs(max))
    report(path, `timeout ${timeout} loosens the floor maxTimeout: ${max}`);
}

function checkEjection(
  report: Report,
  path: PathSegment[],
  spec: OutlierDetectionSpec | undefined,
  floors: Floors,
): void {
  const errors = spec?.consecutive5xxErrors;
  if (errors !== undefined && errors > floors.maxConsecutive5xxErrors)
    report(
      [...path, "consecutive5xxErrors"],
      `ejecting after ${errors} errors loosens the floor maxConsecutive5xxErrors: ${floors.maxConsecutive5xxErrors}`,
    );
}

export function floorFindings(set: PolicySet): Finding[] {
  const findings: Finding[] = [];
  const { floors, mesh } = set.manifest.data;
  const inManifest = reporter(set.manifest, findings);
  if (mesh.mtls !== floors.mtls)
    inManifest(["mesh", "mtls"], `mtls ${mesh.mtls} loosens the floor mtls: ${floors.mtls}`);
  if (mesh.egress !== floors.egress)
    inManifest(
      ["mesh", "egress"],
      `egress ${mesh.egress} loosens the floor egress: ${floors.egress}`,
    );
  checkTimeout(inManifest, ["mesh", "timeout"], mesh.timeout, floors.maxTimeout);
  checkRetries(
    inManifest,
    ["mesh", "retries"],
    mesh.retries,
    floors.maxRetryAttempts,
    mesh.timeout,
  );
  checkEjection(inManifest, ["mesh", "outlierDetection"], mesh.outlierDetection, floors);
  if (mesh.tracing.samplePercent < floors.minTracingSamplePercent)
    inManifest(["mesh", "tracing", "samplePercent"], "sample rate below the floor");

  for (const policy of set.policies) {
    const report = reporter(policy, findings);
    const p = policy.data;
    if (floors.requireOwner && !p.owner)
      report(["service"], `${p.service} has no owner: the floor requireOwner needs one`);
    if (p.mesh?.mtls && p.mesh.mtls !== floors.mtls)
      report(["mesh", "mtls"], `mtls ${p.mesh.mtls} loosens the floor mtls: ${floors.mtls}`);
    if (p.mesh?.egress && p.mesh.egress !== floors.egress)
      report(
        ["mesh", "egress"],
        `egress ${p.mesh.egress} loosens the floor egress: ${floors.egress}`,
      );
    const sample = p.mesh?.tracing?.samplePercent;
    if (sample !== undefined && sample < floors.minTracingSamplePercent)
      report(
        ["mesh", "tracing", "samplePercent"],
        `sample rate ${sample} % loosens the floor minTracingSamplePercent: ${floors.minTracingSamplePercent}`,
      );
    checkEjection(
      report,
      ["resilience", "outlierDetection"],
      p.resilience?.outlierDetection,
      floors,
    );
    const timeout = p.resilience?.timeout ?? mesh.timeout;
    checkTimeout(report, ["resilience", "timeout"], p.resilience?.timeout, floors.maxTimeout);
    checkRetries(
      report,
      ["resilience", "retries"],
      p.resilience?.retries,
      floors.maxRetryAttempts,
      timeout,
    );
    for (const [name, rpc] of Object.entries(p.rpcs ?? {})) {
      checkTimeout(report, ["rpcs", name, "timeout"], rpc.timeout, floors.maxTimeout);
      checkRetries(
        report,
        ["rpcs", name, "retries"],
        rpc.retries,
        floors.maxRetryAttempts,
        rpc.timeout ?? timeout,
      );
    }
  }
  return findings;
}

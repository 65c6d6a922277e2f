/**
 * A V8 CPU profile (`--cpu-prof`, e.g. from a run with BENCH_CPU_PROF) as text: where
 * the busy time went, by package or source folder and by function (self time), and the
 * callers of the heaviest functions. Idle time is left out of the shares, so the
 * percentages say what the process did while it worked.
 *
 *   tsx bench/harness/cpu-profile-summary.ts <file.cpuprofile> [top] [--skip <seconds>]
 *
 * `--skip` leaves out the first seconds of the profile (start-up, warm-up), so the
 * summary describes the process under the measured load alone.
 */
import { readFileSync } from "node:fs";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Sampled time in ms, idle included. */
  totalMs: number;
  busyMs: number;
  /** Share of busy time, by package (node_modules), node built-in, or repo folder. */
  byPlace: [string, number][];
  /** Share of busy time by function, self time only. */
  byFunction: [string, number][];
  /** For the heaviest functions: share of busy time by their nearest callers. */
  callers: [string, [string, number][]][];
}

const NOT_WORK = new Set(["(idle)", "(program)"]);

function placeOf(frame: CallFrame): string {
  const url = frame.url.replace(/^file:\/\//, "");
  if (url === "") return frame.functionName; // native: (garbage collector), writev, ...
  if (url.startsWith("node:")) return `node:${url.slice(5).split("/")[0]}`;
  const modules = url.lastIndexOf("node_modules/");
  if (modules >= 0) {
    const parts = url.slice(modules + "node_modules/".length).split("/");
    return parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const repo = url
    .split("/")
    .findIndex((part) => ["gen", "libs", "services", "gateway"].includes(part));
  return repo >= 0
    ? url
        .split("/")
        .slice(repo, repo + 2)
        .join("/")
    : url;
}

function functionOf(frame: CallFrame): string {
  const file = frame.url.split("/").slice(-2).join("/");
  return `${frame.functionName || "(anonymous)"}${file ? ` ${file}:${frame.lineNumber + 1}` : ""}`;
}

export function summariseProfile(profile: CpuProfile, top = 20, skipMs = 0): ProfileSummary {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parents = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parents.set(child, n.id);
  const selfUs = new Map<number, number>();
  let elapsedUs = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    elapsedUs += us;
    if (elapsedUs <= skipMs * 1000) return;
    selfUs.set(id, (selfUs.get(id) ?? 0) + us);
  });

  let totalUs = 0;
  let busyUs = 0;
  const places = new Map<string, number>();
  const functions = new Map<string, number>();
  const callersOf = new Map<string, Map<string, number>>();
  const add = (map: Map<string, number>, key: string, us: number) =>
    map.set(key, (map.get(key) ?? 0) + us);
  for (const [id, us] of selfUs) {
    totalUs += us;
    const frame = nodes.get(id)!.callFrame;
    if (NOT_WORK.has(frame.functionName)) continue;
    busyUs += us;
    add(places, placeOf(frame), us);
    const fn = functionOf(frame);
    add(functions, fn, us);
    // The first caller outside node's internals says who asked for the work.
    let parent = parents.get(id);
    while (parent !== undefined && nodes.get(parent)!.callFrame.url.startsWith("node:")) {
      parent = parents.get(parent);
    }
    const caller = parent === undefined ? "(root)" : functionOf(nodes.get(parent)!.callFrame);
    add(callersOf.get(fn) ?? callersOf.set(fn, new Map()).get(fn)!, caller, us);
  }
  const share = (us: number) => (busyUs === 0 ? 0 : (100 * us) / busyUs);
  const ranked = (map: Map<string, number>, n: number): [string, number][] =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => [k, share(us)]);
  const byFunction = ranked(functions, top);
  return {
    totalMs: totalUs / 1000,
    busyMs: busyUs / 1000,
    byPlace: ranked(places, top),
    byFunction,
    callers: byFunction.slice(0, 5).map(([fn]) => [fn, ranked(callersOf.get(fn)!, 3)]),
  };
}

export function formatSummary(summary: ProfileSummary): string {
  const pct = (value: number) => `${value.toFixed(1).padStart(5)} %`;
  return [
    `sampled ${summary.totalMs.toFixed(0)} ms, busy ${summary.busyMs.toFixed(0)} ms (${((100 * summary.busyMs) / Math.max(summary.totalMs, 1)).toFixed(0)} %); shares are of busy time`,
    "",
    "by package or folder:",
    ...summary.byPlace.map(([place, value]) => `${pct(value)}  ${place}`),
    "",
    "by function (self time):",
    ...summary.byFunction.map(([fn, value]) => `${pct(value)}  ${fn}`),
    "",
    "callers of the heaviest functions:",
    ...summary.callers.flatMap(([fn, callers]) => [
      `  ${fn}`,
      ...callers.map(([caller, value]) => `  ${pct(value)}  <- ${caller}`),
    ]),
  ].join("\n");
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const skipAt = args.indexOf("--skip");
  const skipSeconds = skipAt >= 0 ? Number(args.splice(skipAt, 2)[1]) : 0;
  const [file, top] = args;
  if (!file || !Number.isFinite(skipSeconds) || skipSeconds < 0) {
    console.error(
      "usage: tsx bench/harness/cpu-profile-summary.ts <file.cpuprofile> [top] [--skip <seconds>]",
    );
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  console.log(formatSummary(summariseProfile(profile, top ? Number(top) : 20, skipSeconds * 1000)));
}

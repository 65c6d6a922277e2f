/** Where and on what code a benchmark ran: recorded with every result. */
import { execFileSync } from "node:child_process";
import { availableParallelism, cpus, loadavg, totalmem } from "node:os";

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  totalMemoryMb: number;
  nodeVersion: string;
  platform: string;
  arch: string;
  /** 1, 5 and 15 minute load averages at the start: how busy the shared machine was. */
  loadAverage: [number, number, number];
}

export interface GitRevision {
  /** `git rev-parse HEAD`; null outside a git checkout. */
  commit: string | null;
  /** Uncommitted changes to tracked or untracked files; null when unknown. */
  dirty: boolean | null;
}

export function describeMachine(): MachineInfo {
  const [one = 0, five = 0, fifteen = 0] = loadavg();
  return {
    cores: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    totalMemoryMb: Math.round(totalmem() / 2 ** 20),
    nodeVersion: process.version,
    platform: process.platform,
    arch: process.arch,
    loadAverage: [one, five, fifteen],
  };
}

export function describeGitRevision(repoDir: string): GitRevision {
  const git = (...args: string[]) =>
    execFileSync("git", ["-C", repoDir, ...args], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  let commit: string;
  try {
    commit = git("rev-parse", "HEAD");
  } catch {
    return { commit: null, dirty: null };
  }
  try {
    return { commit, dirty: git("status", "--porcelain").length > 0 };
  } catch {
    return { commit, dirty: null };
  }
}

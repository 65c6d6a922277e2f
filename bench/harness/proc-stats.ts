/**
 * Reading Linux /proc for the process monitor: CPU ticks from /proc/<pid>/stat, resident
 * memory from /proc/<pid>/status, and the process tree (a scenario may start a wrapper
 * such as `npm run` or the tsx CLI, whose real work happens in a child).
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";

export interface ProcStat {
  pid: number;
  /** One letter: R running, S sleeping, Z zombie (exited, not yet reaped), ... */
  state: string;
  ppid: number;
  /** The process group: a detached child leads its own, and its descendants stay in it. */
  pgrp: number;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
  /** Start time since boot in clock ticks: tells a reused pid from the original. */
  startTicks: number;
}

export interface ProcMemory {
  rssKb: number;
  /** Peak resident set since start or since the last resetPeakRss. */
  hwmKb: number;
}

/** The kernel's USER_HZ, from `getconf CLK_TCK` (100 on every common Linux). */
export function clockTicksPerSecond(): number {
  try {
    const ticks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    if (Number.isInteger(ticks) && ticks > 0) return ticks;
  } catch {
    // getconf missing: fall through to the Linux default.
  }
  return 100;
}

/** Parses /proc/<pid>/stat; undefined when the process is gone. */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state): ppid is field 4, pgrp 5, utime 14, stime 15, starttime 22.
  return {
    pid,
    state: fields[0] ?? "?",
    ppid: Number(fields[1]),
    pgrp: Number(fields[2]),
    cpuTicks: Number(fields[11]) + Number(fields[12]),
    startTicks: Number(fields[19]),
  };
}

/** VmRSS and VmHWM from /proc/<pid>/status; undefined when the process is gone. */
export function readProcMemory(pid: number): ProcMemory | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? 0);
  return { rssKb: kb("VmRSS"), hwmKb: kb("VmHWM") };
}

/**
 * Resets the kernel's peak-RSS counter (VmHWM) to the current RSS, so a later VmHWM is
 * the peak of the measured phase alone. False when the kernel refuses.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/** The processes of group `pgrp` that have not exited (zombies waiting to be reaped excluded). */
export function liveGroupMembers(pgrp: number): ProcStat[] {
  const members: ProcStat[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry));
    if (stat?.pgrp === pgrp && !["Z", "X"].includes(stat.state)) members.push(stat);
  }
  return members;
}

/**
 * `root` and all its live descendants. Scans /proc because per-task `children` files
 * need a kernel option that is often off.
 */
export function processTree(root: number): ProcStat[] {
  const rootStat = readProcStat(root);
  if (!rootStat) return [];
  const byParent = new Map<number, ProcStat[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry));
    if (!stat) continue;
    const siblings = byParent.get(stat.ppid);
    if (siblings) siblings.push(stat);
    else byParent.set(stat.ppid, [stat]);
  }
  const tree = [rootStat];
  for (let i = 0; i < tree.length; i++) tree.push(...(byParent.get(tree[i]!.pid) ?? []));
  return tree;
}

/**
 * CPU and peak memory of running processes over a measured phase. Each process is
 * measured with its whole tree (a wrapper's children count), CPU as utime+stime ticks
 * from /proc/<pid>/stat, memory from /proc/<pid>/status.
 */
import {
  clockTicksPerSecond,
  type ProcStat,
  processTree,
  readProcMemory,
  resetPeakRss,
} from "./proc-stats";

export interface MonitorTarget {
  name: string;
  pid: number;
}

/** What one process (tree) used over one phase. */
export interface ProcessUsage {
  name: string;
  /** CPU time of the tree over the phase, in seconds (can exceed wall time on >1 core). */
  cpuSeconds: number;
  wallSeconds: number;
  /** Peak resident memory of the tree over the phase, in kB. */
  peakRssKb: number;
}

export interface MonitorPhase {
  /** Stops sampling and returns the usage of every target, in the order given. */
  end(): ProcessUsage[];
}

export interface ProcessMonitor {
  /** Starts measuring the given processes now. */
  begin(targets: readonly MonitorTarget[]): MonitorPhase;
}

export interface ProcessMonitorOptions {
  /** How often resident memory is sampled; CPU is exact at the phase ends. Default 100. */
  sampleIntervalMs?: number;
}

const key = (stat: ProcStat) => `${stat.pid}:${stat.startTicks}`;

/** Starts with nothing running; each `begin` opens an independent phase. */
export function createProcessMonitor(options: ProcessMonitorOptions = {}): ProcessMonitor {
  const ticksPerSecond = clockTicksPerSecond();
  const intervalMs = options.sampleIntervalMs ?? 100;

  return {
    begin(targets) {
      const startedAt = performance.now();
      const phase = targets.map((target) => {
        const baseline = new Map<string, number>();
        // Pids whose VmHWM was reset now, so VmHWM is this phase's own peak.
        const hwmReset = new Set<string>();
        for (const stat of processTree(target.pid)) {
          baseline.set(key(stat), stat.cpuTicks);
          if (resetPeakRss(stat.pid)) hwmReset.add(key(stat));
        }
        return { target, baseline, hwmReset, peakRssKb: 0 };
      });

      const sample = () => {
        for (const entry of phase) {
          let rssKb = 0;
          for (const stat of processTree(entry.target.pid)) {
            const memory = readProcMemory(stat.pid);
            if (!memory) continue;
            // Per-process peaks summed: exact for one process, an upper bound for a tree.
            rssKb += entry.hwmReset.has(key(stat)) ? memory.hwmKb : memory.rssKb;
          }
          entry.peakRssKb = Math.max(entry.peakRssKb, rssKb);
        }
      };
      sample();
      const timer = setInterval(sample, intervalMs);
      timer.unref();

      return {
        end() {
          clearInterval(timer);
          sample();
          const wallSeconds = (performance.now() - startedAt) / 1000;
          return phase.map((entry) => {
            let ticks = 0;
            for (const stat of processTree(entry.target.pid)) {
              ticks += stat.cpuTicks - (entry.baseline.get(key(stat)) ?? 0);
            }
            return {
              name: entry.target.name,
              cpuSeconds: ticks / ticksPerSecond,
              wallSeconds,
              peakRssKb: entry.peakRssKb,
            };
          });
        },
      };
    },
  };
}

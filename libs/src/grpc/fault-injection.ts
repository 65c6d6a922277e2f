/**
 * Declared faults (delay or error on an RPC) from the runtime config. A fault is armed
 * only when its own FAULT_* variable is "1" or "true" in the environment read at
 * start-up, so a rendered config can never inject failures by itself.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Code, ServiceError } from "../errors";
import type { FaultConfig, RuntimeConfig } from "../runtime-config";

/** Applies the armed faults of `method` (a delay or a thrown ServiceError). */
export type FaultInjector = (method: string, signal: AbortSignal) => Promise<void>;

export interface FaultInjectorOptions {
  faults: RuntimeConfig["faults"];
  env: Readonly<Record<string, string | undefined>>;
  /** 0 <= x < 1; injectable so a fault's percentage can be tested deterministically. */
  random?: () => number;
}

export function createFaultInjector(options: FaultInjectorOptions): FaultInjector {
  const random = options.random ?? Math.random;
  const armed = new Map<string, ArmedFault[]>();
  for (const entry of armedFaults(options)) {
    const path = `/${entry.fault.method}`;
    armed.set(path, [...(armed.get(path) ?? []), entry]);
  }

  return async (method, signal) => {
    for (const { name, fault } of armed.get(method) ?? []) {
      if (random() * 100 >= fault.percent) continue;
      if (fault.kind === "delay") {
        await sleep(fault.delayMs, undefined, { signal });
      } else {
        throw new ServiceError(Code[fault.code], `fault injected: ${name}`, {
          reason: "FAULT_INJECTED",
        });
      }
    }
  };
}

export interface ArmedFault {
  readonly name: string;
  readonly fault: FaultConfig;
}

/** The declared faults whose variable is switched on. */
export function armedFaults(options: Pick<FaultInjectorOptions, "faults" | "env">): ArmedFault[] {
  return Object.entries(options.faults)
    .filter(([, fault]) =>
      ["1", "true"].includes(options.env[fault.env]?.trim().toLowerCase() ?? ""),
    )
    .map(([name, fault]) => ({ name, fault }));
}

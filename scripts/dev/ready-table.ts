import type { ServiceName } from "@shop/libs/mesh";
import type { MeshPorts } from "./mesh-env";

/** The short table `npm run dev` prints once everything is ready. */
export function readyTable(
  ports: MeshPorts,
  startupMs: Partial<Record<ServiceName, number>>,
  mode: string,
): string {
  const rows = (Object.keys(ports) as ServiceName[]).map((name) => {
    const { http, grpc } = ports[name];
    const ready = startupMs[name] === undefined ? "" : `${(startupMs[name]! / 1000).toFixed(1)} s`;
    return `  ${name.padEnd(16)} http://localhost:${String(http).padEnd(6)} grpc localhost:${String(grpc).padEnd(6)} ${ready}`;
  });
  const gateway = ports["api-gateway"].http;
  return [
    "",
    `The mesh is ready (${mode}):`,
    ...rows,
    "",
    `  Try:   curl http://localhost:${gateway}/api/products`,
    `  API:   http://localhost:${gateway}/docs`,
    "  Trace: npm run trace -- <request id or trace id>   (logs: .dev/logs.jsonl)",
    "  Stop:  Ctrl-C",
    "",
  ].join("\n");
}

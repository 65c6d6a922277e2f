import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";

/** The lowest port the kernel hands out for outgoing connections (Linux: 32768). */
function ephemeralLow(): number {
  try {
    const [low] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").split(/\s+/);
    const value = Number(low);
    return Number.isInteger(value) && value > 2_000 ? value : 32_768;
  } catch {
    return 32_768;
  }
}

function listen(server: Server, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => resolve(true));
  });
}

/**
 * `count` distinct TCP ports free on 127.0.0.1 right now, all held open until every one
 * is bound, so the list never repeats a port. They are drawn at random below the
 * kernel's ephemeral range: a port a process will bind seconds later must not be one
 * the kernel may meanwhile give an outgoing connection as its local port (a test's
 * pools and clients open many), which made a service's listen fail with EADDRINUSE.
 * Another listener may still take one; at random over some 20,000 ports, rarely.
 */
export async function freePorts(count: number): Promise<number[]> {
  const high = ephemeralLow() - 1;
  const low = Math.max(1_024, high - 20_000);
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let attempt = 0; ports.length < count; attempt++) {
      if (attempt > count * 50) throw new Error(`no ${count} free ports in ${low}-${high}`);
      const port = low + Math.floor(Math.random() * (high - low + 1));
      if (ports.includes(port)) continue;
      const server = createServer();
      if (!(await listen(server, port))) continue;
      servers.push(server);
      ports.push(port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

/**
 * A PostgreSQL cluster of the test's own, so a fault test can restart or stop the
 * database without touching the machine's shared server: initdb into a temporary
 * directory and pg_ctl on a free loopback port, both run as the `postgres` user
 * through `runuser` (they refuse to run as root, and CI runs as root), trust auth.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port";

export interface PrivatePostgres {
  readonly port: number;
  /** Superuser URL of the cluster's `postgres` database. */
  readonly adminUrl: string;
  /** `fast` is a clean restart; `immediate` is a crash and WAL recovery. */
  restart(mode?: "fast" | "immediate"): void;
  /** Stops the server (an outage); start() brings it back on the same port. */
  stopServer(mode?: "fast" | "immediate"): void;
  startServer(): void;
  /** Stops the server and deletes the cluster. */
  destroy(): void;
}

/** The newest PostgreSQL server binaries on the machine (PG_BIN_DIR overrides). */
export function postgresBinDir(): string {
  if (process.env.PG_BIN_DIR) return process.env.PG_BIN_DIR;
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, "bin", "initdb")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions[0]) throw new Error(`no PostgreSQL server binaries under ${root}`);
  return join(root, versions[0], "bin");
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "reliability-pg-"));
  const data = join(dir, "data");
  const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
  chownSync(dir, uid, gid);

  const asPostgres = (command: string, args: string[]) => {
    const result = spawnSync("runuser", ["-u", "postgres", "--", join(bin, command), ...args], {
      encoding: "utf8",
      cwd: dir,
      timeout: 60_000,
    });
    if (result.status !== 0) {
      throw new Error(`${command} ${args.join(" ")} failed: ${result.stderr || result.stdout}`);
    }
  };
  // Durability settings stay on: an immediate restart must recover from the WAL as a
  // crashed production server would.
  const options = [
    `-p ${port}`,
    "-c listen_addresses=127.0.0.1",
    `-c unix_socket_directories=${dir}`,
    "-c max_connections=200",
  ].join(" ");
  const start = () =>
    asPostgres("pg_ctl", ["-D", data, "-l", join(dir, "server.log"), "-w", "-o", options, "start"]);
  const stop = (mode: string) => asPostgres("pg_ctl", ["-D", data, "-m", mode, "-w", "stop"]);

  asPostgres("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"]);
  start();
  let running = true;
  // A test process that dies without its afterAll must not leave a server behind.
  const onExit = () => {
    if (running)
      spawnSync("runuser", [
        "-u",
        "postgres",
        "--",
        join(bin, "pg_ctl"),
        "-D",
        data,
        "-m",
        "immediate",
        "stop",
      ]);
  };
  process.once("exit", onExit);
  return {
    port,
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    restart(mode = "fast") {
      stop(mode);
      start();
    },
    stopServer(mode = "immediate") {
      stop(mode);
      running = false;
    },
    startServer() {
      start();
      running = true;
    },
    destroy() {
      process.off("exit", onExit);
      try {
        if (running) stop("immediate");
      } finally {
        running = false;
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

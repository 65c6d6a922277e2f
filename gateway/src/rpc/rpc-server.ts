/**
 * Port 9000: an HTTP/2 server without TLS (h2c, prior knowledge), as gRPC clients and
 * the mesh's sidecars speak it, serving the RPC edge's adapter. Stopping is graceful:
 * no new connections, GOAWAY to the open ones so clients move elsewhere, calls in
 * flight get the grace period, then what is left is ended with UNAVAILABLE and cut.
 */
import { createServer, type Http2Session } from "node:http2";
import type { AddressInfo, Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { RpcEdge } from "./rpc-edge";

export interface RpcServer {
  start(host: string, port: number): Promise<number>;
  /** Stops accepting; waits up to `graceMs` for calls in flight, then ends them. */
  stop(graceMs: number): Promise<void>;
}

/** Time for handlers ended by the shutdown to write their status before the cut. */
const FINAL_WRITE_MS = 100;
const DRAIN_POLL_MS = 20;

/** Ends the calls still running with UNAVAILABLE, and gives them a moment to say so. */
export async function endCalls(edge: RpcEdge): Promise<void> {
  edge.abortCalls();
  await sleep(FINAL_WRITE_MS);
}

export function createRpcServer(edge: RpcEdge): RpcServer {
  const sessions = new Set<Http2Session>();
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => edge.serve(req, res));
  server.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  server.on("connection", (socket: Socket) => {
    // As grpc-js does on its connections (http.Server does it by default, http2's does
    // not): an answer's HEADERS, DATA and trailers go out as written.
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });

  return {
    start(host, port) {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve((server.address() as AddressInfo).port);
        });
      });
    },
    async stop(graceMs) {
      if (!server.listening) return;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // GOAWAY: no new calls on these connections; the ones running may finish.
      for (const session of sessions) session.close();
      const deadline = Date.now() + graceMs;
      while (sessions.size > 0 && Date.now() < deadline) await sleep(DRAIN_POLL_MS);
      if (sessions.size > 0) {
        await endCalls(edge);
        for (const session of sessions) session.destroy();
        // A destroyed session with a stream still open can leave its socket behind.
        for (const socket of sockets) socket.destroy();
      }
      await closed;
    },
  };
}

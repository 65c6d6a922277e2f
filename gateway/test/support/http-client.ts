/**
 * Test support: plain HTTP/1.1 requests with node:http, so paths go out exactly as
 * written (fetch would normalise them) and every header of the answer can be read.
 */
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";

export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  // biome-ignore lint/suspicious/noExplicitAny: assertions read answers of any shape
  readonly json: any;
}

export interface HttpRequestInit {
  headers?: Record<string, string>;
  body?: string | object;
}

export function httpCall(
  port: number,
  method: string,
  path: string,
  init: HttpRequestInit = {},
): Promise<HttpAnswer> {
  const body =
    init.body === undefined
      ? undefined
      : typeof init.body === "string"
        ? init.body
        : JSON.stringify(init.body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port,
        method,
        path,
        agent: false,
        headers: {
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
          ...init.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Lines of a newline-delimited JSON body. */
// biome-ignore lint/suspicious/noExplicitAny: assertions read lines of any shape
export function ndjson(text: string): any[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line));
}

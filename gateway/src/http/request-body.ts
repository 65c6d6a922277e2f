/**
 * Reads a request body up to the configured limit. A Content-Length over the limit is
 * refused before anything is read; a chunked body is counted as it arrives and
 * refused as soon as it passes the limit. Either way the answer is 413.
 */
import type { IncomingMessage } from "node:http";
import { Code } from "@shop/libs/errors";
import { httpError } from "./error-writer";

export async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers["content-length"] ?? Number.NaN);
  if (declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, length).toString("utf8");
}

function tooLarge(limit: number) {
  return httpError(413, Code.RESOURCE_EXHAUSTED, `request body larger than ${limit} bytes`);
}

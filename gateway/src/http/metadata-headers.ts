/**
 * A backend's response metadata as HTTP headers, grpc-gateway's way: each header key
 * `<name>` becomes `Grpc-Metadata-<name>` and each trailer `Grpc-Trailer-<name>`
 * (binary values base64). Transport keys (content-type, grpc-status, ...) stay behind.
 */
import type { Metadata } from "@grpc/grpc-js";

const TRANSPORT = new Set(["content-type", "content-length", "te", "user-agent", "date"]);

export function metadataHeaders(
  metadata: Metadata | undefined,
  prefix: "grpc-metadata-" | "grpc-trailer-",
): Record<string, string[]> {
  const headers: Record<string, string[]> = {};
  if (!metadata) return headers;
  for (const key of Object.keys(metadata.getMap())) {
    if (!isPassThroughKey(key)) continue;
    headers[`${prefix}${key}`] = metadata
      .get(key)
      .map((value) => (typeof value === "string" ? value : value.toString("base64")));
  }
  return headers;
}

/** Whether a backend's response metadata key is passed on to the client. */
export function isPassThroughKey(key: string): boolean {
  return !(key.startsWith("grpc-") || key.startsWith(":") || TRANSPORT.has(key));
}

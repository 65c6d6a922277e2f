/**
 * A backend's response metadata passed on to a gRPC, gRPC-Web or Connect client, the
 * way a gRPC proxy does: headers stay headers and trailers stay trailers, binary
 * (`-bin`) values in gRPC's base64, transport keys (grpc-status, content-type, ...)
 * left to connect-node.
 */
import type { Metadata } from "@grpc/grpc-js";
import { isPassThroughKey } from "../http/metadata-headers";

/** Appends every pass-through entry of `metadata` to `target`. */
export function copyMetadata(metadata: Metadata | undefined, target: Headers): void {
  if (!metadata) return;
  for (const key of Object.keys(metadata.getMap())) {
    if (!isPassThroughKey(key)) continue;
    for (const value of metadata.get(key)) {
      target.append(key, typeof value === "string" ? value : value.toString("base64"));
    }
  }
}

/** Sets each header of `headers` (lower-case names) on `target`. */
export function setHeaders(target: Headers, headers: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(headers)) target.set(name, value);
}

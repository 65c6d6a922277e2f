/**
 * ListOrders' opaque page token: the position after which the next page starts
 * (orders are listed by insertion sequence, newest first), versioned so its format
 * can change without misreading old tokens.
 */
import { ServiceError } from "@shop/libs/errors";

const PREFIX = "o1.";

export function encodePageToken(beforeSeq: bigint): string {
  return Buffer.from(`${PREFIX}${beforeSeq}`).toString("base64url");
}

/** undefined for the first page; INVALID_ARGUMENT for a token this service did not issue. */
export function decodePageToken(token: string): bigint | undefined {
  if (token === "") return undefined;
  const text = /^[A-Za-z0-9_-]{1,64}$/.test(token)
    ? Buffer.from(token, "base64url").toString("utf8")
    : "";
  const match = /^o1\.([1-9]\d{0,18})$/.exec(text);
  if (!match) {
    throw ServiceError.invalidArgument([
      { field: "page_token", description: "not a token from a previous ListOrders response" },
    ]);
  }
  return BigInt(match[1]!);
}

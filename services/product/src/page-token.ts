/**
 * The opaque page_token of ListProducts: base64url of a small JSON object holding the
 * keyset position of the last item returned, the sort it belongs to, and a fingerprint
 * of the query and filter it was issued for. Nothing in it is secret or trusted: a
 * client that forges a well-formed token only moves its own cursor, so the token
 * needs no HMAC, but every field is checked and anything malformed, or a token reused
 * with another query, is INVALID_ARGUMENT naming page_token.
 */
import { createHash } from "node:crypto";
import { ServiceError } from "@shop/libs/errors";

/**
 * Where the next page starts. Without a query the listing is newest first by
 * (created_at, id); with a query it is by (rank, id), rank being ts_rank of the row's
 * stored tsvector, which depends on nothing but the row and the query.
 */
export type Cursor =
  | { sort: "newest"; createdAt: string; id: string }
  | { sort: "rank"; rank: string; id: string };

const VERSION = 1;
const MAX_TOKEN_LENGTH = 512;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** created_at as PostgreSQL renders it for the cursor: UTC with microseconds. */
const CREATED_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
/** A float4 as PostgreSQL prints it (shortest exact form). */
const RANK = /^(?:\d+(?:\.\d+)?(?:e[+-]?\d+)?)$/;
const FINGERPRINT = /^[0-9a-f]{16}$/;

interface TokenBody {
  v: number;
  s: "n" | "r";
  k: string;
  i: string;
  f: string;
}

/** A short hash of what a listing returns: a token only continues the listing it came from. */
export function listingFingerprint(parts: unknown): string {
  const json = JSON.stringify(parts, (_key, value: unknown) =>
    typeof value === "bigint" ? value.toString() : value,
  );
  return createHash("sha256").update(json).digest("hex").slice(0, 16);
}

export function encodePageToken(cursor: Cursor, fingerprint: string): string {
  const body: TokenBody = {
    v: VERSION,
    s: cursor.sort === "newest" ? "n" : "r",
    k: cursor.sort === "newest" ? cursor.createdAt : cursor.rank,
    i: cursor.id,
    f: fingerprint,
  };
  return Buffer.from(JSON.stringify(body)).toString("base64url");
}

function invalid(description: string): ServiceError {
  return ServiceError.invalidArgument([{ field: "page_token", description }]);
}

/** The cursor of `token`, checked against the listing it is used for. */
export function decodePageToken(token: string, expected: { fingerprint: string }): Cursor {
  if (token.length > MAX_TOKEN_LENGTH || !BASE64URL.test(token)) {
    throw invalid("not a page token from this API");
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw invalid("not a page token from this API");
  }
  if (!isTokenBody(body)) throw invalid("not a page token from this API");
  if (body.f !== expected.fingerprint) {
    throw invalid("was issued for another query or filter; start again without a page token");
  }
  return body.s === "n"
    ? { sort: "newest", createdAt: body.k, id: body.i }
    : { sort: "rank", rank: body.k, id: body.i };
}

function isTokenBody(value: unknown): value is TokenBody {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const body = value as Record<string, unknown>;
  if (Object.keys(body).sort().join(",") !== "f,i,k,s,v") return false;
  if (body.v !== VERSION || (body.s !== "n" && body.s !== "r")) return false;
  if (typeof body.i !== "string" || !UUID.test(body.i)) return false;
  if (typeof body.f !== "string" || !FINGERPRINT.test(body.f)) return false;
  if (typeof body.k !== "string") return false;
  if (body.s === "n") return CREATED_AT.test(body.k) && !Number.isNaN(Date.parse(body.k));
  return RANK.test(body.k) && Number.isFinite(Number(body.k));
}

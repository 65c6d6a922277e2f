/**
 * ListProductsRequest checked and normalised into what the repository runs: the page
 * size, the search text, the filter, the cursor from page_token, and the fingerprint
 * that ties tokens (and the first-page cache key) to this query and filter.
 */
import type { ListProductsRequest } from "@shop/gen/ts/shop/product/v1/product";
import { type Cursor, decodePageToken, listingFingerprint } from "./page-token";
import { charLength, checkTags, hasControlCharacters, Violations } from "./product-validation";

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface ListFilter {
  category: string;
  minPriceMinor: bigint | undefined;
  maxPriceMinor: bigint | undefined;
  inStock: boolean;
  /** Sorted: the same set of tags is the same filter. */
  tags: string[];
}

export interface ListQuery {
  pageSize: number;
  /** Trimmed; empty means no search (newest first). */
  text: string;
  filter: ListFilter;
  /** Absent on the first page. */
  cursor: Cursor | undefined;
  /** Of text and filter (not page size): tokens and cache keys carry it. */
  fingerprint: string;
}

/** Throws INVALID_ARGUMENT naming page_size, query, filter.* or page_token. */
export function parseListQuery(request: ListProductsRequest): ListQuery {
  const v = new Violations();
  if (request.pageSize < 0 || request.pageSize > MAX_PAGE_SIZE) {
    v.add("page_size", `must be 1-${MAX_PAGE_SIZE}, or 0 for the default of ${DEFAULT_PAGE_SIZE}`);
  }
  const text = request.query.trim();
  if (charLength(request.query) > 200) v.add("query", "at most 200 characters");
  else if (hasControlCharacters(request.query))
    v.add("query", "must not contain control characters");
  const f = request.filter;
  const filter: ListFilter = {
    category: f?.category ?? "",
    minPriceMinor: f?.minPriceMinor,
    maxPriceMinor: f?.maxPriceMinor,
    inStock: f?.inStock ?? false,
    tags: [...(f?.tags ?? [])],
  };
  if (charLength(filter.category) > 100) v.add("filter.category", "at most 100 characters");
  else if (hasControlCharacters(filter.category)) {
    v.add("filter.category", "must not contain control characters");
  }
  if (filter.minPriceMinor !== undefined && filter.minPriceMinor < 0n) {
    v.add("filter.min_price_minor", "must be zero or more");
  }
  if (filter.maxPriceMinor !== undefined && filter.maxPriceMinor < 0n) {
    v.add("filter.max_price_minor", "must be zero or more");
  }
  if (
    filter.minPriceMinor !== undefined &&
    filter.maxPriceMinor !== undefined &&
    filter.minPriceMinor > filter.maxPriceMinor
  ) {
    v.add("filter.max_price_minor", "must not be below filter.min_price_minor");
  }
  checkTags(v, "filter.tags", filter.tags);
  v.throwIfAny();
  filter.tags.sort();
  const fingerprint = listingFingerprint([
    text,
    filter.category,
    filter.minPriceMinor ?? null,
    filter.maxPriceMinor ?? null,
    filter.inStock,
    filter.tags,
  ]);
  let cursor: Cursor | undefined;
  if (request.pageToken !== "") {
    cursor = decodePageToken(request.pageToken, { fingerprint });
    if ((cursor.sort === "rank") !== (text !== "")) {
      // Cannot happen with an honest token (the fingerprint covers the text), but a
      // forged one must not reach the SQL with the wrong kind of key.
      v.add("page_token", "does not match this query");
      v.throwIfAny();
    }
  }
  return {
    pageSize: request.pageSize === 0 ? DEFAULT_PAGE_SIZE : request.pageSize,
    text,
    filter,
    cursor,
    fingerprint,
  };
}

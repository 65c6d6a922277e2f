/**
 * The ListProducts query: keyset pagination over active products, with filters and
 * PostgreSQL full-text search.
 *
 * Without a query the order is (created_at, id) newest first, backed by a partial
 * index; a page continues strictly after the last row returned, so rows inserted
 * between pages (which are newer, or at least not yet seen) never shift what follows:
 * nothing is skipped or repeated, unlike OFFSET.
 *
 * With a query the order is (rank, id) descending, rank = ts_rank(search, query). The
 * rank is a pure function of the row's stored tsvector and the query (PostgreSQL's
 * ts_rank uses no corpus statistics), so a row keeps its rank while other rows come
 * and go, and the same keyset argument holds. Only editing a row's name or description
 * between pages can move it, as editing created_at would in the listing. The rank is
 * carried in the token as PostgreSQL prints the float4 (shortest exact form) and
 * compared as float4 again, so the boundary row is matched exactly.
 */
import type { Product } from "@shop/gen/ts/shop/product/v1/product";
import type { ListQuery } from "./list-query";
import { type Cursor, encodePageToken } from "./page-token";
import {
  PRODUCT_COLUMNS,
  type ProductRow,
  productFromRow,
  type Queryable,
} from "./product-repository";

export interface ProductPage {
  products: Product[];
  /** Empty on the last page. */
  nextPageToken: string;
}

/** The page of `query` after its cursor. */
export async function listProducts(db: Queryable, query: ListQuery): Promise<ProductPage> {
  const values: unknown[] = [];
  const param = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  const where = ["p.active", "p.deleted_at IS NULL"];
  const { filter, cursor } = query;
  let from = "products p";
  let rank = "NULL::real";
  let sortKey = "created_at";
  if (query.text !== "") {
    from += ` CROSS JOIN websearch_to_tsquery('english', ${param(query.text)}) AS q`;
    where.push("p.search @@ q");
    rank = "ts_rank(p.search, q)";
    sortKey = "rank";
  }
  if (filter.category !== "") where.push(`p.category = ${param(filter.category)}`);
  if (filter.minPriceMinor !== undefined) {
    where.push(`p.price_minor >= ${param(filter.minPriceMinor.toString())}`);
  }
  if (filter.maxPriceMinor !== undefined) {
    where.push(`p.price_minor <= ${param(filter.maxPriceMinor.toString())}`);
  }
  if (filter.inStock) {
    where.push("EXISTS (SELECT 1 FROM stock s WHERE s.product_id = p.id AND s.available > 0)");
  }
  if (filter.tags.length > 0) where.push(`p.tags @> ${param(filter.tags)}::text[]`);
  if (cursor?.sort === "newest") {
    where.push(
      `(p.created_at, p.id) < (${param(cursor.createdAt)}::timestamptz, ${param(cursor.id)}::uuid)`,
    );
  } else if (cursor?.sort === "rank") {
    where.push(
      `(ts_rank(p.search, q), p.id) < (${param(cursor.rank)}::real, ${param(cursor.id)}::uuid)`,
    );
  }
  // One row more than the page tells whether another page follows. The page is chosen
  // from products alone and joined to its stock afterwards: joining first made the
  // planner read all of stock (and pick a parallel scan) for a 21-row page.
  const limit = param(query.pageSize + 1);
  const { rows } = await db.query<ProductRow & { created_key: string; rank: string | null }>(
    `SELECT ${PRODUCT_COLUMNS},
            to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_key,
            p.rank::text AS rank
       FROM (SELECT p.id, p.sku, p.name, p.description, p.price_minor, p.currency_code,
                    p.image_url, p.category, p.tags, p.active, p.version, p.created_at,
                    p.updated_at, ${rank} AS rank
               FROM ${from}
              WHERE ${where.join(" AND ")}
              ORDER BY ${sortKey} DESC, id DESC
              LIMIT ${limit}) AS p
       JOIN stock s ON s.product_id = p.id
      ORDER BY p.${sortKey} DESC, p.id DESC`,
    values,
  );
  const page = rows.slice(0, query.pageSize);
  const last = page[page.length - 1];
  let nextPageToken = "";
  if (rows.length > query.pageSize && last) {
    const next: Cursor =
      last.rank === null
        ? { sort: "newest", createdAt: last.created_key, id: last.id }
        : { sort: "rank", rank: last.rank, id: last.id };
    nextPageToken = encodePageToken(next, query.fingerprint);
  }
  return { products: page.map(productFromRow), nextPageToken };
}

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
 *
 * A query of one lexeme reads its page from product_search_ranks (migration 0003),
 * where triggers keep ts_rank(search, lexeme) per product and lexeme, in (rank, id)
 * order: the same order and keys, without ranking every match first.
 */
import { createHash } from "node:crypto";
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

/** A named statement and its parameters, as `pg`'s `query(config)` takes them. */
export interface ListProductsSql {
  /**
   * Named after its text: each pooled connection parses a shape once (filters and
   * cursor give a few dozen shapes) and runs it by name after that. Parsing and
   * analysing the search's text was a third of its time in PostgreSQL once the stored
   * ranks made its execution short (bench/README.md, product-search-sql).
   */
  name: string;
  text: string;
  values: unknown[];
}

const statementNames = new Map<string, string>();
const statementName = (text: string): string => {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `list-products-${createHash("sha256").update(text).digest("hex").slice(0, 16)}`;
    statementNames.set(text, name);
  }
  return name;
};

/**
 * The statement listProducts sends for `query`: one row more than the page, each with
 * its sort key. Exported so a benchmark can time this exact SQL in PostgreSQL alone.
 */
export function listProductsSql(query: ListQuery): ListProductsSql {
  const values: unknown[] = [];
  const param = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  const filters = ["p.active", "p.deleted_at IS NULL"];
  const { filter, cursor } = query;
  if (filter.category !== "") filters.push(`p.category = ${param(filter.category)}`);
  if (filter.minPriceMinor !== undefined) {
    filters.push(`p.price_minor >= ${param(filter.minPriceMinor.toString())}`);
  }
  if (filter.maxPriceMinor !== undefined) {
    filters.push(`p.price_minor <= ${param(filter.maxPriceMinor.toString())}`);
  }
  if (filter.inStock) {
    filters.push("EXISTS (SELECT 1 FROM stock s WHERE s.product_id = p.id AND s.available > 0)");
  }
  if (filter.tags.length > 0) filters.push(`p.tags @> ${param(filter.tags)}::text[]`);
  // One row more than the page tells whether another page follows.
  const limit = param(query.pageSize + 1);
  const columns = `p.id, p.sku, p.name, p.description, p.price_minor, p.currency_code,
                    p.image_url, p.category, p.tags, p.active, p.version, p.created_at,
                    p.updated_at`;
  let page: string;
  let sortKey: "created_at" | "rank";
  if (query.text === "") {
    sortKey = "created_at";
    const where = [...filters];
    if (cursor?.sort === "newest") {
      where.push(
        `(p.created_at, p.id) < (${param(cursor.createdAt)}::timestamptz, ${param(cursor.id)}::uuid)`,
      );
    }
    page = `SELECT ${columns}, NULL::real AS rank
               FROM products p
              WHERE ${where.join(" AND ")}
              ORDER BY p.created_at DESC, p.id DESC
              LIMIT ${limit}`;
  } else {
    sortKey = "rank";
    const q = `websearch_to_tsquery('english', ${param(query.text)})`;
    const after =
      cursor?.sort === "rank"
        ? { rank: `${param(cursor.rank)}::real`, id: `${param(cursor.id)}::uuid` }
        : undefined;
    // A query of one lexeme pages through product_search_ranks (migration 0003): the
    // rank stored per product and lexeme, read in (rank, id) order, so the page reads
    // about as many rows as it returns. Any other query ranks its GIN matches. The
    // conditions on numnode involve no column: PostgreSQL evaluates them once, so only
    // one branch runs.
    const byStoredRank = `SELECT ${columns}, r.rank
               FROM product_search_ranks r JOIN products p ON p.id = r.product_id
              WHERE numnode(${q}) = 1 AND r.term = ${q} AND ${filters.join(" AND ")}${
                after ? ` AND (r.rank, r.product_id) < (${after.rank}, ${after.id})` : ""
              }
              ORDER BY r.rank DESC, r.product_id DESC
              LIMIT ${limit}`;
    const byMatches = `SELECT ${columns}, ts_rank(p.search, q) AS rank
               FROM products p CROSS JOIN ${q} AS q
              WHERE numnode(${q}) <> 1 AND p.search @@ q AND ${filters.join(" AND ")}${
                after ? ` AND (ts_rank(p.search, q), p.id) < (${after.rank}, ${after.id})` : ""
              }
              ORDER BY rank DESC, p.id DESC
              LIMIT ${limit}`;
    page = `(${byStoredRank})
             UNION ALL
             (${byMatches})`;
  }
  // The page is chosen from products alone and joined to its stock afterwards: joining
  // first made the planner read all of stock (and pick a parallel scan) for a 21-row page.
  const text = `SELECT ${PRODUCT_COLUMNS},
            to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_key,
            p.rank::text AS rank
       FROM (${page}) AS p
       JOIN stock s ON s.product_id = p.id
      ORDER BY p.${sortKey} DESC, p.id DESC`;
  return { name: statementName(text), text, values };
}

/** The page of `query` after its cursor. */
export async function listProducts(db: Queryable, query: ListQuery): Promise<ProductPage> {
  const { rows } = await db.query<ProductRow & { created_key: string; rank: string | null }>(
    listProductsSql(query),
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

-- Search pages without ranking every match.
--
-- ListProducts orders a search by (ts_rank(search, q), id) descending. The GIN index
-- finds the matches, but a page of 20 needed every match read and ranked first: a
-- one-word query of the 100,000-product bench catalog ('handmade') read 9,804 rows on
-- 4,828 heap pages for each page it returned, whatever the page size.
--
-- For a query of one lexeme (what websearch_to_tsquery makes of most one-word
-- searches) the rank is a function of the product's vector and that lexeme alone
-- (ts_rank uses no corpus statistics), so it can be computed when the vector changes.
-- product_search_ranks holds, per product and lexeme of its vector, that lexeme as a
-- one-lexeme tsquery and ts_rank(search, term); its page index hands out a term's
-- products in the listing's order, so a page reads about as many rows as it returns.
-- A query of several lexemes keeps the GIN index (its AND narrows the matches).
CREATE TABLE product_search_ranks (
  product_id uuid    NOT NULL REFERENCES products (id) ON DELETE CASCADE,
  -- The lexeme as a one-lexeme query: equal to websearch_to_tsquery's result for it.
  term       tsquery NOT NULL,
  rank       real    NOT NULL,
  PRIMARY KEY (product_id, term)
);

CREATE INDEX product_search_ranks_page_idx
  ON product_search_ranks (term, rank DESC, product_id DESC);

-- Each lexeme of `v` as a one-lexeme tsquery (quoted, so it is taken as it is, not
-- parsed again) with ts_rank(v, that query).
CREATE FUNCTION product_search_terms(v tsvector)
  RETURNS TABLE (term tsquery, rank real)
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT t.term, ts_rank(v, t.term)
    FROM unnest(v) AS u,
         LATERAL (SELECT ('''' || replace(replace(u.lexeme, '\', '\\'), '''', '''''') || '''')::tsquery
                    AS term) AS t
$$;

-- Kept in step by statement triggers over the transition tables, so a bulk insert
-- writes the ranks in one statement.
CREATE FUNCTION product_search_ranks_on_insert() RETURNS trigger
  LANGUAGE plpgsql
AS $$
BEGIN
  INSERT INTO product_search_ranks (product_id, term, rank)
  SELECT n.id, t.term, t.rank FROM new_products n, product_search_terms(n.search) AS t;
  RETURN NULL;
END
$$;

-- Only products whose vector changed (a new name or description) are ranked again.
CREATE FUNCTION product_search_ranks_on_update() RETURNS trigger
  LANGUAGE plpgsql
AS $$
BEGIN
  DELETE FROM product_search_ranks r
   USING old_products o JOIN new_products n ON n.id = o.id
   WHERE r.product_id = o.id AND n.search IS DISTINCT FROM o.search;
  INSERT INTO product_search_ranks (product_id, term, rank)
  SELECT n.id, t.term, t.rank
    FROM old_products o JOIN new_products n ON n.id = o.id, product_search_terms(n.search) AS t
   WHERE n.search IS DISTINCT FROM o.search;
  RETURN NULL;
END
$$;

CREATE TRIGGER products_search_ranks_insert
  AFTER INSERT ON products REFERENCING NEW TABLE AS new_products
  FOR EACH STATEMENT EXECUTE FUNCTION product_search_ranks_on_insert();
CREATE TRIGGER products_search_ranks_update
  AFTER UPDATE ON products REFERENCING OLD TABLE AS old_products NEW TABLE AS new_products
  FOR EACH STATEMENT EXECUTE FUNCTION product_search_ranks_on_update();

INSERT INTO product_search_ranks (product_id, term, rank)
SELECT p.id, t.term, t.rank FROM products p, product_search_terms(p.search) AS t;

-- The GIN index's pending list: new entries wait in an unsorted list that every search
-- scans until a vacuum merges them. After the bench catalog's bulk insert it held 8,585
-- entries on 145 pages, read by every search ('lamp': 149 index buffers and 1.2 ms
-- with the list, 4 buffers and 0.3 ms without). The catalog is read far more than it
-- is written: insert straight into the index.
ALTER INDEX products_search_idx SET (fastupdate = off);
SELECT gin_clean_pending_list('products_search_idx'::regclass);

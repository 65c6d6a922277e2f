-- The catalog (namespace "product-service").

-- Products are soft-deleted (deleted_at) so that reservations of a deleted product still
-- settle and the ledger keeps its references; a deleted product's sku is free again.
CREATE TABLE products (
  id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  sku           text        NOT NULL CHECK (sku ~ '^[A-Za-z0-9._-]{1,64}$'),
  name          text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  description   text        NOT NULL DEFAULT '' CHECK (char_length(description) <= 5000),
  price_minor   bigint      NOT NULL CHECK (price_minor >= 0),
  currency_code text        NOT NULL CHECK (currency_code ~ '^[A-Z]{3}$'),
  image_url     text        NOT NULL DEFAULT '',
  category      text        NOT NULL DEFAULT '',
  tags          text[]      NOT NULL DEFAULT '{}',
  active        boolean     NOT NULL DEFAULT true,
  -- Optimistic concurrency: every catalog write increments it.
  version       bigint      NOT NULL DEFAULT 1,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  deleted_at    timestamptz,
  -- Full-text search over name (weight A) and description (weight B). Stored, so a
  -- search reads the vector from the GIN index's heap rows instead of re-parsing text.
  search        tsvector    GENERATED ALWAYS AS (
    setweight(to_tsvector('english', name), 'A') ||
    setweight(to_tsvector('english', description), 'B')
  ) STORED
);

CREATE UNIQUE INDEX products_sku_key ON products (sku) WHERE deleted_at IS NULL;

-- The listing's keyset order (newest first, id as tie-breaker) over what it shows.
CREATE INDEX products_listing_idx ON products (created_at DESC, id DESC)
  WHERE active AND deleted_at IS NULL;
CREATE INDEX products_category_idx ON products (category, created_at DESC, id DESC)
  WHERE active AND deleted_at IS NULL;
CREATE INDEX products_search_idx ON products USING gin (search);
CREATE INDEX products_tags_idx ON products USING gin (tags);

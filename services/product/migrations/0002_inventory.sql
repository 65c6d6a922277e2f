-- Inventory: stock levels, reservations per order, and the ledger of every change.

-- One row per product. available + reserved + sold changes only by adjustments; the
-- CHECKs make overselling impossible even for a bug in the code above them.
CREATE TABLE stock (
  product_id uuid    PRIMARY KEY REFERENCES products (id),
  available  integer NOT NULL CHECK (available >= 0),
  reserved   integer NOT NULL CHECK (reserved >= 0),
  sold       integer NOT NULL CHECK (sold >= 0)
);

-- Partial index for the listing's in_stock filter.
CREATE INDEX stock_in_stock_idx ON stock (product_id) WHERE available > 0;

-- One row per order id: the idempotency key of ReserveStock. A RELEASED row without
-- items is a tombstone written by ReleaseStock for an order that had no reservation,
-- so a ReserveStock arriving after its caller gave up reserves nothing.
CREATE TABLE reservations (
  order_id   text        PRIMARY KEY CHECK (order_id ~ '^[A-Za-z0-9._:-]{1,128}$'),
  state      text        NOT NULL
    CHECK (state IN ('RESERVED', 'RELEASED', 'COMMITTED', 'RETURNED', 'EXPIRED')),
  -- When an uncommitted reservation is released by the sweeper; null for tombstones.
  expires_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The sweeper's scan: only open reservations, oldest expiry first.
CREATE INDEX reservations_expiry_idx ON reservations (expires_at) WHERE state = 'RESERVED';

-- What was reserved, with the name and price at reservation time (the order's prices).
CREATE TABLE reservation_items (
  order_id         text    NOT NULL REFERENCES reservations (order_id),
  product_id       uuid    NOT NULL REFERENCES products (id),
  quantity         integer NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
  product_name     text    NOT NULL,
  unit_price_minor bigint  NOT NULL CHECK (unit_price_minor >= 0),
  currency_code    text    NOT NULL,
  PRIMARY KEY (order_id, product_id)
);

-- Every stock change: the deltas and the levels after it. Per product, the deltas of
-- all rows sum to the current levels, and the three deltas of a row sum to zero unless
-- the reason is ADJUSTED.
CREATE TABLE stock_ledger (
  id              bigserial   PRIMARY KEY,
  product_id      uuid        NOT NULL REFERENCES products (id),
  order_id        text,
  reason          text        NOT NULL
    CHECK (reason IN ('RESERVED', 'RELEASED', 'COMMITTED', 'RETURNED', 'EXPIRED', 'ADJUSTED')),
  available_delta integer     NOT NULL,
  reserved_delta  integer     NOT NULL,
  sold_delta      integer     NOT NULL,
  available       integer     NOT NULL,
  reserved        integer     NOT NULL,
  sold            integer     NOT NULL,
  note            text        NOT NULL DEFAULT '',
  created_at      timestamptz NOT NULL DEFAULT now(),
  CHECK (reason = 'ADJUSTED' OR available_delta + reserved_delta + sold_delta = 0)
);

CREATE INDEX stock_ledger_product_idx ON stock_ledger (product_id, id);
CREATE INDEX stock_ledger_order_idx ON stock_ledger (order_id) WHERE order_id IS NOT NULL;

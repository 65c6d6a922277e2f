-- Orders and their saga state. The saga is orchestrated by order-service and every
-- step's result is written here before the next step starts, so a crash or a deploy
-- leaves a row the recovery loop can finish or compensate.

CREATE TABLE orders (
  id                       uuid        PRIMARY KEY,
  -- Insertion order: ListOrders pages newest first by it (exact, unlike timestamps).
  seq                      bigserial   NOT NULL UNIQUE,
  -- NULL once the user erased their account (UserDeleted).
  user_id                  text,
  status                   text        NOT NULL
    CHECK (status IN ('PENDING', 'CONFIRMED', 'CANCELLED', 'FAILED')),
  -- The next saga step to run; DONE when nothing is left to do.
  saga_step                text        NOT NULL
    CHECK (saga_step IN ('RESERVE_STOCK', 'AUTHORIZE_PAYMENT', 'COMMIT_STOCK', 'COMPENSATE',
                         'REFUND', 'DONE')),
  -- The final status decided when compensation started, applied when it ends.
  outcome_status           text        CHECK (outcome_status IN ('CANCELLED', 'FAILED')),
  status_reason            text        NOT NULL DEFAULT '',
  -- Set by CancelOrder while another run drives the saga; that run compensates.
  cancel_requested         boolean     NOT NULL DEFAULT false,
  cancel_reason            text        NOT NULL DEFAULT '',
  -- Known once ReserveStock priced the items.
  currency_code            text,
  total_minor              bigint,
  -- The provider's token (never card data); cleared once no longer needed.
  payment_token            text,
  payment_state            text        NOT NULL DEFAULT 'NONE'
    CHECK (payment_state IN ('NONE', 'UNKNOWN', 'AUTHORIZED', 'VOIDED', 'REFUNDED')),
  payment_authorization_id text,
  stock_state              text        NOT NULL DEFAULT 'NONE'
    CHECK (stock_state IN ('NONE', 'RESERVED', 'COMMITTED', 'RELEASED', 'RETURNED')),
  -- Who drives the saga now and until when: one run per saga across all instances.
  -- After a run, lease_owner is NULL and lease_until is when the run ended.
  lease_owner              uuid,
  lease_until              timestamptz,
  saga_runs                integer     NOT NULL DEFAULT 0,
  created_at               timestamptz NOT NULL DEFAULT now(),
  updated_at               timestamptz NOT NULL DEFAULT now(),
  anonymized_at            timestamptz
);

CREATE INDEX orders_user_seq_idx ON orders (user_id, seq DESC);

-- The recovery loop scans only sagas with work left.
CREATE INDEX orders_unfinished_idx ON orders (updated_at) WHERE saga_step <> 'DONE';

CREATE TABLE order_items (
  order_id         uuid    NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  position         integer NOT NULL,
  product_id       text    NOT NULL,
  quantity         integer NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
  -- The name when the order was placed; the reserved name once stock is reserved.
  product_name     text    NOT NULL DEFAULT '',
  -- The price ReserveStock answered, in the order's currency.
  unit_price_minor bigint,
  PRIMARY KEY (order_id, position),
  UNIQUE (order_id, product_id)
);

-- What each saga step did, in order: the audit trail of a saga.
CREATE TABLE saga_log (
  id         bigserial   PRIMARY KEY,
  order_id   uuid        NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  step       text        NOT NULL,
  outcome    text        NOT NULL,
  detail     text        NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX saga_log_order_idx ON saga_log (order_id, id);

-- CreateOrder's Idempotency-Key, per user: the first request inserts the row (the
-- primary key arbitrates concurrent ones) in the transaction that creates the order.
CREATE TABLE idempotency_keys (
  user_id      text        NOT NULL,
  key          text        NOT NULL,
  request_hash text        NOT NULL,
  -- Deferred: the key row is written first, the order it names right after.
  order_id     uuid        NOT NULL REFERENCES orders (id) ON DELETE CASCADE
                           DEFERRABLE INITIALLY DEFERRED,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  PRIMARY KEY (user_id, key)
);

CREATE INDEX idempotency_keys_expiry_idx ON idempotency_keys (expires_at);

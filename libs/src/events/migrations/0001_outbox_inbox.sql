-- The transactional outbox and the consumer inbox (namespace "libs.events").

-- Events written in the same transaction as the state change they describe; the relay
-- publishes unpublished rows in id order and stamps published_at after XADD succeeded.
CREATE TABLE outbox (
  id           bigserial   PRIMARY KEY,
  event_id     uuid        NOT NULL UNIQUE,
  stream       text        NOT NULL,
  type         text        NOT NULL,
  envelope     bytea       NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz
);

-- The relay only ever scans the unpublished tail; published rows stay for inspection
-- until the relay prunes them.
CREATE INDEX outbox_unpublished_idx ON outbox (id) WHERE published_at IS NULL;

-- Wakes the relay the moment a writing transaction commits (NOTIFY is delivered at
-- commit, never for a rolled-back transaction). Identical payloads within a
-- transaction are folded into one notification by PostgreSQL.
CREATE FUNCTION outbox_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('outbox', NEW.stream);
  RETURN NULL;
END
$$;

CREATE TRIGGER outbox_notify
  AFTER INSERT ON outbox
  FOR EACH ROW EXECUTE FUNCTION outbox_notify();

-- Event ids each consumer has applied: inserted in the handler's transaction, so a
-- redelivered or re-published event is recognised and its effect is not repeated.
CREATE TABLE inbox (
  consumer     text        NOT NULL,
  event_id     uuid        NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);

-- NOTIFY only wakes a relay that waits for it.
--
-- A transaction that has sent NOTIFY takes a lock shared by the whole cluster when it
-- commits (PostgreSQL's notification queue) and holds it through its WAL flush, so
-- writers that notify commit one at a time. Under order load that lock was where the
-- time went: pg_stat_activity showed most sessions in Lock:object at COMMIT.
--
-- The leading relay now says whether it is waiting: while events flow it polls (every
-- few milliseconds, see outbox-relay.ts) and `listening` is false, so writers send no
-- NOTIFY; after a quiet spell it sets `listening` and waits, and the next writer wakes it.
CREATE TABLE outbox_relay (
  -- One row: true is its only key.
  id        boolean PRIMARY KEY DEFAULT true CHECK (id),
  listening boolean NOT NULL DEFAULT true
);
INSERT INTO outbox_relay DEFAULT VALUES;

CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT listening FROM outbox_relay) THEN
    PERFORM pg_notify('outbox', NEW.stream);
  END IF;
  RETURN NULL;
END
$$;

-- Accounts erased recently (UserDeleted), kept only for as long as an access token of
-- theirs may still be valid: CreateOrder asks user-service whether the account exists,
-- and falls back to this table when user-service cannot answer. Rows older than the
-- tokens' lifetime are deleted by the UserDeleted handler as it inserts new ones.
CREATE TABLE erased_accounts (
  user_id    text        PRIMARY KEY,
  erased_at  timestamptz NOT NULL DEFAULT now()
);

-- user-service's schema: accounts, refresh-token sessions, erased-account tombstones and
-- the JWT signing keys.

-- Accounts. `email` keeps the address as normalised (trimmed, domain lower-cased); two
-- addresses that differ only in case are the same account, hence the unique index on
-- lower(email), which is also what login looks up.
CREATE TABLE users (
  id            uuid        PRIMARY KEY,
  email         text        NOT NULL CHECK (length(email) <= 254),
  name          text        NOT NULL DEFAULT '' CHECK (length(name) <= 100),
  role          text        NOT NULL CHECK (role IN ('customer', 'admin')),
  -- An argon2id PHC string; the parameters travel inside it.
  password_hash text        NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX users_email_unique ON users (lower(email));

-- What remains of an erased account (GDPR art. 17): the id and the time, nothing else.
CREATE TABLE deleted_users (
  id         uuid        PRIMARY KEY,
  deleted_at timestamptz NOT NULL
);

-- A refresh-token family: one sign-in (register or login) and every token rotated from
-- it. Reuse of a rotated token revokes the whole family.
CREATE TABLE refresh_sessions (
  id            uuid        PRIMARY KEY,
  user_id       uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_used_at  timestamptz,
  revoked_at    timestamptz,
  revoke_reason text        CHECK (revoke_reason IN ('reuse')),
  CHECK ((revoked_at IS NULL) = (revoke_reason IS NULL))
);

CREATE INDEX refresh_sessions_user_idx ON refresh_sessions (user_id);

-- Refresh tokens, stored only as SHA-256 of the opaque value. A rotated token stays
-- (rotated_at set) until it expires, so its reuse is recognised.
CREATE TABLE refresh_tokens (
  token_hash bytea       PRIMARY KEY CHECK (length(token_hash) = 32),
  session_id uuid        NOT NULL REFERENCES refresh_sessions (id) ON DELETE CASCADE,
  issued_at  timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  rotated_at timestamptz
);

CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

-- Access-token signing keys, shared by every replica. The private half is sealed with
-- AES-256-GCM under the key-encryption key `kek_id` names (from the environment); the
-- public half is what the JWKS publishes.
CREATE TABLE signing_keys (
  kid                    text        PRIMARY KEY,
  alg                    text        NOT NULL CHECK (alg IN ('EdDSA')),
  public_jwk             jsonb       NOT NULL,
  kek_id                 text        NOT NULL,
  private_key_nonce      bytea       NOT NULL CHECK (length(private_key_nonce) = 12),
  -- AES-GCM ciphertext of the PKCS#8 DER private key, followed by the 16-byte tag.
  private_key_ciphertext bytea       NOT NULL,
  created_at             timestamptz NOT NULL DEFAULT now(),
  -- Signing switches to a key at this time; it is published in the JWKS before, so
  -- every replica and verifier knows it by then.
  activates_at           timestamptz NOT NULL
);

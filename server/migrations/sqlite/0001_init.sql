-- Initial schema (SQLite). Times are Unix seconds. Never edit once applied:
-- add a new numbered file instead. Keep in step with ../postgres/.

-- Accounts. `roles` is a space-separated list (e.g. 'user admin').
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,   -- trimmed and lower-cased
    password_hash TEXT NOT NULL,          -- Argon2id PHC string
    roles         TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

-- One row per sign-in (a refresh-token family). The live refresh token is
-- MAC(session id, generation): rotating is one compare-and-swap on
-- `generation`, so the token itself is never stored.
CREATE TABLE sessions (
    id                  TEXT PRIMARY KEY,
    user_id             TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    generation          BIGINT NOT NULL,  -- counter of the live refresh token
    rotated_at          BIGINT NOT NULL,  -- when it was issued: the parent's grace starts here
    created_at          BIGINT NOT NULL,
    last_used_at        BIGINT NOT NULL,
    idle_expires_at     BIGINT NOT NULL,  -- sliding; never past absolute_expires_at
    absolute_expires_at BIGINT NOT NULL,
    revoked_at          BIGINT,
    revoke_reason       TEXT,             -- logout | revoked | reuse | expired
    user_agent          TEXT,
    client_ip           TEXT
);
CREATE INDEX sessions_by_user ON sessions (user_id, revoked_at);

-- Ed25519 signing keys. The newest unretired one signs; all unretired ones
-- are served in the JWKS and verify.
CREATE TABLE signing_keys (
    kid          TEXT PRIMARY KEY,       -- RFC 7638 thumbprint
    private_der  BLOB NOT NULL,          -- PKCS#8 DER; never served
    public_key   BLOB NOT NULL,          -- 32 raw bytes
    created_at   BIGINT NOT NULL,
    retired_at   BIGINT
);

-- Server-wide secrets made on first start (e.g. the refresh-token MAC key).
CREATE TABLE server_secrets (
    name       TEXT PRIMARY KEY,
    value      BLOB NOT NULL,
    created_at BIGINT NOT NULL
);

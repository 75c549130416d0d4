-- Second factors and fresh authentication (PostgreSQL). Keep in step with ../sqlite/.

-- When the user's first second factor was turned on (NULL: none). Kept in
-- step with the factor tables so a session check reads one column.
ALTER TABLE users ADD COLUMN mfa_enrolled_at BIGINT;

-- When and how the user last proved themselves in this session (sign-in
-- or step-up): the access token's auth_time and amr. Refresh never moves
-- them. Sessions from before this migration count as signed in at start.
ALTER TABLE sessions ADD COLUMN auth_time BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT 'pwd';   -- space-separated RFC 8176 values
UPDATE sessions SET auth_time = created_at;

-- A user's TOTP (RFC 6238) secret. Pending until a first code confirms it.
CREATE TABLE totp_factors (
    user_id        TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret         BYTEA NOT NULL,          -- 20 bytes, sealed with AUTH_SECRET_KEY_FILE when set
    created_at     BIGINT NOT NULL,
    confirmed_at   BIGINT,                -- NULL: set up but not confirmed yet
    last_used_step BIGINT NOT NULL DEFAULT 0  -- the time step of the last accepted code: no replay
);

-- Single-use recovery codes; only a SHA-256 of each is kept.
CREATE TABLE recovery_codes (
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    used_at    BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

-- Password sign-ins waiting for their second factor: single use, five
-- minutes, dead after five wrong codes. Only a SHA-256 of the pending
-- cookie's token is kept.
CREATE TABLE mfa_pending (
    token_hash    TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    password_hash TEXT NOT NULL,          -- the hash the password was checked against
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    failures      BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX mfa_pending_by_expiry ON mfa_pending (expires_at);

-- Passkeys (WebAuthn) (PostgreSQL). Keep in step with ../sqlite/.

-- The WebAuthn user handle: a random UUID made at the user's first
-- passkey. Authenticators keep it and may show or sync it, so it is never
-- the user id or the email. It never changes: passkeys carry it.
CREATE TABLE webauthn_handles (
    user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    handle  TEXT NOT NULL UNIQUE
);

-- A user's passkeys. One credential belongs to one account.
CREATE TABLE passkeys (
    id            TEXT PRIMARY KEY,          -- a UUID: how the API names it
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    credential_id TEXT NOT NULL UNIQUE,      -- base64url, as the authenticator sends it
    name          TEXT NOT NULL,
    credential    TEXT NOT NULL,             -- webauthn-rs Passkey as JSON: a public key, no secret
    sign_count    BIGINT NOT NULL DEFAULT 0, -- the authenticator's counter: never goes back
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT
);
CREATE INDEX passkeys_by_user ON passkeys (user_id);

-- WebAuthn ceremonies in progress: single use, five minutes, and readable
-- by every instance. Only a SHA-256 of the ceremony's name is kept.
CREATE TABLE webauthn_ceremonies (
    token_hash TEXT PRIMARY KEY,
    purpose    TEXT NOT NULL,                -- register | sign_in | second_step | step_up
    user_id    TEXT REFERENCES users(id) ON DELETE CASCADE,  -- NULL: a passkey sign-in
    state      TEXT NOT NULL,                -- webauthn-rs ceremony state, JSON (holds the challenge)
    expires_at BIGINT NOT NULL
);
CREATE INDEX webauthn_ceremonies_by_expiry ON webauthn_ceremonies (expires_at);

-- Mail and single-use links (PostgreSQL). Keep in step with ../sqlite/.

-- When the user proved they read mail at their address (NULL: not yet).
ALTER TABLE users ADD COLUMN email_verified_at BIGINT;

-- Links mailed to a user: verify the email, reset the password. Only a
-- SHA-256 of the token is kept, so a database dump opens no link.
CREATE TABLE link_tokens (
    token_hash TEXT PRIMARY KEY,      -- hex SHA-256 of the 32 random bytes
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL,         -- verify_email | reset_password
    email      TEXT NOT NULL,         -- the address it was mailed to
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,                -- redeemed (single use)
    revoked_at BIGINT                 -- replaced by a newer link, or the password or email changed
);
CREATE INDEX link_tokens_by_user ON link_tokens (user_id, purpose);
CREATE INDEX link_tokens_by_expiry ON link_tokens (expires_at);

-- Mail waiting to go out: the queue survives restarts and SMTP outages.
-- The body may hold a link, so it is sealed with AUTH_SECRET_KEY_FILE when
-- that is set, and erased once sent.
CREATE TABLE mail_outbox (
    id              TEXT PRIMARY KEY,
    to_addr         TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            BYTEA NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,  -- after this the mail is moot (its link has expired): dropped
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,  -- also the lease of the instance sending it
    sent_at         BIGINT,
    last_error      TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox (sent_at, next_attempt_at);

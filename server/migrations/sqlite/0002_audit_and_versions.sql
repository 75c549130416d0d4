-- Audit log and role versions (SQLite). Keep in step with
-- ../postgres/0002_audit_and_versions.sql.

-- Bumped whenever what an access token asserts about the user changes (its
-- roles). Tokens carry the value they were issued with (claim `ver`); one
-- with an older value is refused within a second.
ALTER TABLE users ADD COLUMN authz_version BIGINT NOT NULL DEFAULT 0;

-- Auth events: who did what, from where. Written in batches off the request
-- path; pruned after AUTH_AUDIT_RETENTION_DAYS.
CREATE TABLE auth_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         BIGINT NOT NULL,
    kind       TEXT NOT NULL,    -- login_succeeded | login_failed | refreshed | reuse_detected | …
    user_id    TEXT,             -- no foreign key: events outlive deleted users
    session_id TEXT,
    ip         TEXT,
    user_agent TEXT,
    detail     TEXT
);
CREATE INDEX auth_events_by_user ON auth_events (user_id, id);
CREATE INDEX auth_events_by_kind ON auth_events (kind, id);
CREATE INDEX auth_events_by_time ON auth_events (at);

-- Sessions past both limits are pruned; this finds them.
CREATE INDEX sessions_by_idle_expiry ON sessions (idle_expires_at);

-- Device-bound sessions (DBSC) (PostgreSQL). Keep in step with ../sqlite/.

-- The device key a session is bound to, once the browser registered one:
-- its public JWK (ES256 or RS256), that key's RFC 7638 thumbprint (the
-- access token's `cnf.jkt`), and when. Set once; never changed while the
-- session lives. A bound session refreshes only with a proof signed by it.
ALTER TABLE sessions ADD COLUMN binding_key TEXT;
ALTER TABLE sessions ADD COLUMN binding_jkt TEXT;
ALTER TABLE sessions ADD COLUMN bound_at BIGINT;
-- The first generation issued bound: a token older than it was issued
-- before the binding, and one presented without a proof after the
-- registration race is over is a stale copy, judged by the reuse rule.
ALTER TABLE sessions ADD COLUMN bound_generation BIGINT;
-- The last time a refresh of this bound session came without a proof (a
-- copied cookie, or a tab of the browser whose device refresh failed):
-- shown on the user's session list.
ALTER TABLE sessions ADD COLUMN binding_refused_at BIGINT;

-- The audit log without its per-user index (SQLite only: PostgreSQL keeps
-- it, see ../postgres/0002_audit_and_versions.sql).

-- Each event's entry went to its user's place in the index: a different
-- page for nearly every event, so each stored refresh wrote a 4 KiB page to
-- the WAL for the index beside the row itself (7.2 KB of WAL per event
-- instead of 1.4 KB over 10,000 users, bench/sqlite/audit_index.py). It
-- served only the admin list filtered by a user, where SQLite's planner
-- never used it (the list's one static statement hid the filter). That
-- list now reads the table newest first and stops at the page's limit;
-- PostgreSQL, whose index writes are mostly row-sized, looks the user up.
DROP INDEX auth_events_by_user;

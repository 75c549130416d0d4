-- Sessions without the idle-expiry index (SQLite). Keep in step with ../postgres/.

-- Every refresh slides idle_expires_at, so this index moved an entry on
-- every rotation: a page more written per refresh (on PostgreSQL also no
-- heap-only update, since an indexed column changed). It served only the
-- hourly prune, which now walks the table in short id ranges instead
-- (store::sessions::prune_sessions).
DROP INDEX sessions_by_idle_expiry;

-- The audit log without its index on time (SQLite). Keep in step with
-- ../postgres/ (which has no 0008: that one dropped an index SQLite alone).

-- Every stored event wrote an entry here. It served only the hourly prune,
-- one DELETE of every event past retention, which held the one writer for
-- as long as that took (seconds for a busy day's events, every refresh
-- waiting behind it). The prune now walks the table in short id ranges,
-- oldest first, and stops at the first newer event
-- (store::events::prune_events).
DROP INDEX auth_events_by_time;

-- The audit log without its index on time (PostgreSQL). Keep in step with
-- ../sqlite/ (whose 0008 dropped an index PostgreSQL keeps).

-- Every stored event wrote an entry here. It served only the hourly prune,
-- one DELETE of every event past retention in one transaction. The prune
-- now walks the table in short id ranges, oldest first, and stops at the
-- first newer event (store::events::prune_events).
DROP INDEX auth_events_by_time;

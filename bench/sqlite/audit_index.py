#!/usr/bin/env python3
"""What the audit log's indexes cost, on SQLite itself (docs/PERFORMANCE.md,
issue 14, sessions 12 and 13). Builds the auth_events table from the
server's own migrations, then prints:

  store  WAL bytes and time per stored event: `--stored` refresh events
         spread over `--users` users, then more stored the way the server's
         audit writer does (one multi-row INSERT a batch, `--per-batch`
         events of random users); with the per-user and time indexes put
         back (before migration 0008), with the time index alone (before
         0009), and with neither (today);
  list   the admin list filtered by one user (newest 50), with the per-user
         index and without it (the index is only used when the statement
         names the filter, as store::events does now);
  prune  the hourly prune of an hour of events past retention: one DELETE
         through the time index against the walk in id ranges that
         server/src/store/events.rs does, and how long the writer is held
         at once.

Usage: python3 bench/sqlite/audit_index.py [store|list|prune|all] [--users N] [--stored N]
(Python's sqlite3 module: no build, no server.)
"""

import argparse
import os
import random
import sqlite3
import time
import uuid

from migrated import database

USER_INDEX = "CREATE INDEX auth_events_by_user ON auth_events (user_id, id)"
TIME_INDEX = "CREATE INDEX auth_events_by_time ON auth_events (at)"
COLUMNS = "(at, kind, user_id, session_id, ip, user_agent, detail)"
AGENT = "Mozilla/5.0 (X11; Linux x86_64) Chrome/156"
START = 1_700_000_000
LIST = (
    "SELECT e.id, e.at, e.kind, e.user_id, e.session_id, e.ip, e.user_agent, e.detail, u.email "
    "FROM auth_events e LEFT JOIN users u ON u.id = e.user_id WHERE e.user_id = ? ORDER BY e.id DESC LIMIT 50"
)
# store::events::prune_events, one range.
RANGE_END = "SELECT MAX(id) FROM (SELECT id FROM auth_events WHERE id > ? ORDER BY id LIMIT ?) AS range_ids"
DELETE_RANGE = "DELETE FROM auth_events WHERE id > ? AND id <= ? AND at < ?"


def event(at: int, user: str) -> tuple:
    return (at, "refreshed", user, str(uuid.uuid4()), "127.0.0.1", AGENT, None)


def stored_database(indexes: list[str], users: list[str], stored: int, per_second: int) -> tuple[sqlite3.Connection, str]:
    """The migrated database with `indexes` put back and `stored` events,
    `per_second` of them a second from START, checkpointed."""
    random.seed(1)
    db, path = database("audit-index-", *indexes)
    db.execute("BEGIN")
    db.executemany(f"INSERT INTO auth_events {COLUMNS} VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (event(START + i // per_second, random.choice(users)) for i in range(stored)))
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db, path


def store(label: str, indexes: list[str], users: list[str], stored: int, batches: int, per_batch: int) -> None:
    db, path = stored_database(indexes, users, stored, 100)
    insert = f"INSERT INTO auth_events {COLUMNS} VALUES " + ", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * per_batch)
    spent = 0.0
    for batch in range(batches):
        rows = [value for _ in range(per_batch) for value in event(START + stored // 100 + batch, random.choice(users))]
        began = time.perf_counter()
        db.execute(insert, rows)
        spent += time.perf_counter() - began
    events = batches * per_batch
    print(f"store  {label:38} {os.path.getsize(path + '-wal') / events:8,.0f} WAL bytes, "
          f"{spent / events * 1e6:5.1f} us per event ({events:,} events in batches of {per_batch} "
          f"over {stored:,} stored, {len(users):,} users)")


def list_by_user(label: str, indexes: list[str], users: list[str], stored: int) -> None:
    db, _ = stored_database(indexes, users, stored, 100)
    began = time.perf_counter()
    for user in users[:100]:
        db.execute(LIST, (user,)).fetchall()
    per_list = (time.perf_counter() - began) / 100
    print(f"list   {label:38} {per_list * 1000:8.2f} ms per list of one user's newest 50")


def prune(users: list[str], stored: int, per_second: int = 100) -> None:
    cutoff = START + 3_600  # an hour of events past retention
    db, _ = stored_database([TIME_INDEX], users, stored, per_second)
    began = time.perf_counter()
    pruned = db.execute("DELETE FROM auth_events WHERE at < ?", (cutoff,)).rowcount
    held = time.perf_counter() - began
    print(f"prune  through the time index, one DELETE: {pruned:,} of {stored:,} pruned; "
          f"the writer held {held * 1000:,.0f} ms at once")

    db, _ = stored_database([], users, stored, per_second)
    began = time.perf_counter()
    after, pruned, longest, ranges = 0, 0, 0.0, 0
    while (last := db.execute(RANGE_END, (after, 1000)).fetchone()[0]) is not None:
        started = time.perf_counter()
        deleted = db.execute(DELETE_RANGE, (after, last, cutoff)).rowcount
        longest = max(longest, time.perf_counter() - started)
        pruned, after, ranges = pruned + deleted, last, ranges + 1
        if deleted < 1000:
            break
    total = time.perf_counter() - began
    print(f"prune  walk in ranges of 1,000 (0009): {pruned:,} of {stored:,} pruned in {total * 1000:,.0f} ms "
          f"over {ranges:,} ranges; the writer held at most {longest * 1000:.1f} ms at once")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", nargs="?", choices=["store", "list", "prune", "all"], default="all")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--stored", type=int, help="stored events (default: 500,000; 1,000,000 for prune)")
    parser.add_argument("--batches", type=int, default=2_000)
    parser.add_argument("--per-batch", type=int, default=30, help="events per INSERT (the writer's 5 ms at 6,000/s)")
    args = parser.parse_args()
    random.seed(0)
    users = [str(uuid.uuid4()) for _ in range(args.users)]
    if args.what in ("store", "all"):
        for label, indexes in (("with the per-user and time indexes", [USER_INDEX, TIME_INDEX]),
                               ("with the time index (0008)", [TIME_INDEX]),
                               ("with neither (0009)", [])):
            store(label, indexes, users, args.stored or 500_000, args.batches, args.per_batch)
    if args.what in ("list", "all"):
        for label, indexes in (("with the per-user index", [USER_INDEX]), ("without it (0008)", [])):
            list_by_user(label, indexes, users, args.stored or 500_000)
    if args.what in ("prune", "all"):
        prune(users, args.stored or 1_000_000)

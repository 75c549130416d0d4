#!/usr/bin/env python3
"""What the audit log's per-user index cost, on SQLite itself
(docs/PERFORMANCE.md, issue 14, session 12). Builds the auth_events table
from the server's own migrations, stores `--stored` refresh events spread
over `--users` users, then stores more the way the server's audit writer
does (one multi-row INSERT a batch, `--per-batch` events of random users)
and prints the WAL bytes and the time per stored event: with the index
migration 0008 dropped, and without it. Then the admin list filtered by
one user, with the index and without (newest 50 events; the index is only
used when the statement names the filter, as store::events does now).

Usage: python3 bench/sqlite/audit_index.py [--users N] [--stored N]
(Python's sqlite3 module: no build, no server.)
"""

import argparse
import os
import random
import time
import uuid

from migrated import database

USER_INDEX = "CREATE INDEX auth_events_by_user ON auth_events (user_id, id)"
COLUMNS = "(at, kind, user_id, session_id, ip, user_agent, detail)"
AGENT = "Mozilla/5.0 (X11; Linux x86_64) Chrome/156"
LIST = (
    "SELECT e.id, e.at, e.kind, e.user_id, e.session_id, e.ip, e.user_agent, e.detail, u.email "
    "FROM auth_events e LEFT JOIN users u ON u.id = e.user_id WHERE e.user_id = ? ORDER BY e.id DESC LIMIT 50"
)


def event(at: int, user: str) -> tuple:
    return (at, "refreshed", user, str(uuid.uuid4()), "127.0.0.1", AGENT, None)


def run(with_index: bool, users: list[str], stored: int, batches: int, per_batch: int) -> None:
    random.seed(1)
    db, path = database("audit-index-", *([USER_INDEX] if with_index else []))
    start = 1_700_000_000
    db.execute("BEGIN")
    db.executemany(f"INSERT INTO auth_events {COLUMNS} VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (event(start + i // 100, random.choice(users)) for i in range(stored)))
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    insert = f"INSERT INTO auth_events {COLUMNS} VALUES " + ", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * per_batch)
    spent = 0.0
    for batch in range(batches):
        rows = [value for _ in range(per_batch) for value in event(start + stored // 100 + batch, random.choice(users))]
        began = time.perf_counter()
        db.execute(insert, rows)
        spent += time.perf_counter() - began
    events = batches * per_batch
    label = "with the per-user index" if with_index else "without it (migration 0008)"
    print(f"store  {label:28} {os.path.getsize(path + '-wal') / events:8,.0f} WAL bytes, "
          f"{spent / events * 1e6:5.1f} us per event ({events:,} events in batches of {per_batch} "
          f"over {stored:,} stored, {len(users):,} users)")
    began = time.perf_counter()
    for user in users[:100]:
        db.execute(LIST, (user,)).fetchall()
    per_list = (time.perf_counter() - began) / 100
    print(f"list   {label:28} {per_list * 1000:8.2f} ms per list of one user's newest 50")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--stored", type=int, default=500_000)
    parser.add_argument("--batches", type=int, default=2_000)
    parser.add_argument("--per-batch", type=int, default=30, help="events per INSERT (the writer's 5 ms at 6,000/s)")
    args = parser.parse_args()
    random.seed(0)
    users = [str(uuid.uuid4()) for _ in range(args.users)]
    for with_index in (True, False):
        run(with_index, users, args.stored, args.batches, args.per_batch)

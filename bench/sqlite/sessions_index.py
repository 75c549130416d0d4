#!/usr/bin/env python3
"""What the idle-expiry index cost, on SQLite itself (docs/PERFORMANCE.md,
issue 14, session 11). Builds the sessions table from the server's own
migrations, then prints:

  wal    WAL bytes per rotation over stored sessions, one rotation per
         commit, a second between rotations (each moves its idle limit),
         with the old index put back and without it;
  prune  the hourly prune: one indexed DELETE against the walk in id
         ranges that server/src/store/sessions.rs does, and how long the
         writer is held at once.

Usage: python3 bench/sqlite/sessions_index.py [wal|prune] [--sessions N]
(Python's sqlite3 module: no build, no server.)
"""

import argparse
import os
import random
import sqlite3
import time
import uuid

from migrated import database

OLD_INDEX = "CREATE INDEX sessions_by_idle_expiry ON sessions (idle_expires_at)"
DAY = 86_400
# The server's rotation, less its RETURNING (which only reads).
ROTATE = (
    "UPDATE sessions SET generation = generation + 1, rotated_at = ?1, last_used_at = ?1, "
    "idle_expires_at = MIN(?1 + ?2, absolute_expires_at) WHERE id = ?3"
)
# store::sessions::prune_sessions, one range.
RANGE_END = "SELECT MAX(id) FROM (SELECT id FROM sessions WHERE id > ? ORDER BY id LIMIT ?) AS range_ids"
DELETE_RANGE = "DELETE FROM sessions WHERE id > ? AND id <= ? AND idle_expires_at < ?"


def store_sessions(db: sqlite3.Connection, count: int, idle_of) -> list[str]:
    """`count` sessions of one user, session `i` idle until `idle_of(i)`."""
    user = str(uuid.uuid4())
    db.execute(
        "INSERT INTO users (id, email, password_hash, roles, created_at, updated_at) VALUES (?, ?, 'x', 'user', 0, 0)",
        (user, f"{user}@example.com"),
    )
    ids = [str(uuid.uuid4()) for _ in range(count)]
    db.execute("BEGIN")
    for i, session in enumerate(ids):
        idle = idle_of(i)
        db.execute(
            "INSERT INTO sessions (id, user_id, generation, rotated_at, created_at, last_used_at, "
            "idle_expires_at, absolute_expires_at, user_agent, client_ip) VALUES (?, ?, 0, ?, ?, ?, ?, ?, ?, ?)",
            (session, user, idle - 7 * DAY, idle - 7 * DAY, idle - 7 * DAY, idle, idle + 23 * DAY,
             "Mozilla/5.0 (X11; Linux x86_64) Chrome/156", "127.0.0.1"),
        )
    db.execute("COMMIT")
    return ids


def wal(sessions: int, rotations: int = 5_000) -> None:
    for with_index in (True, False):
        random.seed(1)
        start = 1_700_000_000
        db, path = database("sessions-index-", *([OLD_INDEX] if with_index else []))
        ids = store_sessions(db, sessions, lambda _: start + random.randint(0, 7 * DAY))
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        now = start + 7 * DAY
        for _ in range(rotations):
            now += 1
            db.execute(ROTATE, (now, 7 * DAY, random.choice(ids)))
        per_rotation = os.path.getsize(path + "-wal") / rotations
        label = "with the idle-expiry index" if with_index else "without it (migration 0007)"
        print(f"wal    {label:28} {per_rotation:8,.0f} WAL bytes per rotation "
              f"({rotations:,} rotations, one commit each, over {sessions:,} sessions)")


def prune(sessions: int, expired_share: float = 0.01) -> None:
    cutoff = 1_000_000
    spread = int(cutoff / expired_share)

    def idle_of(_: int) -> int:
        return random.randint(0, spread)

    random.seed(2)
    db, _ = database("sessions-index-", OLD_INDEX)
    store_sessions(db, sessions, idle_of)
    started = time.perf_counter()
    pruned = db.execute("DELETE FROM sessions WHERE idle_expires_at < ?", (cutoff,)).rowcount
    held = time.perf_counter() - started
    print(f"prune  indexed, one DELETE: {pruned:,} of {sessions:,} pruned; the writer held {held * 1000:.0f} ms at once")

    random.seed(2)
    db, _ = database("sessions-index-")
    store_sessions(db, sessions, idle_of)
    started = time.perf_counter()
    after, pruned, longest, ranges = "", 0, 0.0, 0
    while (last := db.execute(RANGE_END, (after, 1000)).fetchone()[0]) is not None:
        began = time.perf_counter()
        pruned += db.execute(DELETE_RANGE, (after, last, cutoff)).rowcount
        longest = max(longest, time.perf_counter() - began)
        after, ranges = last, ranges + 1
    total = time.perf_counter() - started
    print(f"prune  walk in ranges of 1,000: {pruned:,} of {sessions:,} pruned in {total * 1000:,.0f} ms "
          f"over {ranges:,} ranges; the writer held at most {longest * 1000:.1f} ms at once")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", nargs="?", choices=["wal", "prune", "both"], default="both")
    parser.add_argument("--sessions", type=int, help="stored sessions (default: 100,000 for wal, 1,000,000 for prune)")
    args = parser.parse_args()
    if args.what in ("wal", "both"):
        wal(args.sessions or 100_000)
    if args.what in ("prune", "both"):
        prune(args.sessions or 1_000_000)

"""A new SQLite database as the server opens it, for the scripts beside this
one: WAL, synchronous=NORMAL, no automatic checkpoint (the server's writer
has none), every migration of server/migrations/sqlite applied."""

import os
import sqlite3
import tempfile
from pathlib import Path

MIGRATIONS = Path(__file__).resolve().parents[2] / "server" / "migrations" / "sqlite"


def database(prefix: str, *statements: str) -> tuple[sqlite3.Connection, str]:
    """The database and its file's path; `statements` run after the
    migrations (an index put back, say)."""
    path = os.path.join(tempfile.mkdtemp(prefix=prefix), "bench.db")
    db = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode = WAL", "synchronous = NORMAL", "wal_autocheckpoint = 0"):
        db.execute(f"PRAGMA {pragma}")
    for migration in sorted(MIGRATIONS.glob("*.sql")):
        db.executescript(migration.read_text())
    for statement in statements:
        db.execute(statement)
    return db, path

"""The embedded database (SQLite) in write-ahead-log mode.

In SQLite's default rollback-journal mode a writer cannot commit while any other
connection is reading: the web process's log-in or progress POST waited out a
reader in another process (a CLI command, a test's query, a backup) for up to the
30 s busy timeout. In WAL mode readers and one writer go on together; only writers
still take turns. The mode is kept in the database file, so it is set once, by the
first connection that finds the file in another mode (a file made before this, or
by ``db.create_all``). In-memory databases have no journal to change.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


def use_wal(engine: Engine) -> None:
    """Put ``engine``'s SQLite file in WAL mode when it first connects (others: nothing)."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return
    event.listen(engine, "connect", _wal)


def _wal(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            cursor.execute("PRAGMA journal_mode=WAL")
    finally:
        cursor.close()

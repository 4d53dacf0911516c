"""The embedded database in WAL mode: a reader elsewhere does not hold up a writer's commit
(in rollback-journal mode the web process's log-in waited out such a reader)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable

from flask import Flask
from sqlalchemy import text

from app.extensions import db
from app.models import User


def test_the_file_is_in_wal_mode(app: Flask) -> None:
    assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_a_reader_in_another_process_does_not_hold_up_a_commit(
        app: Flask, make_user: Callable[..., User]) -> None:
    reader = sqlite3.connect(db.engine.url.database, isolation_level=None,
                             check_same_thread=False)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM users").fetchall()  # a read transaction stays open
    release = threading.Timer(5.0, lambda: reader.execute("COMMIT"))
    release.start()
    try:
        started = time.monotonic()
        make_user()  # commits
        waited = time.monotonic() - started
    finally:
        release.cancel()
        reader.close()
    assert waited < 2.0, f"the commit waited {waited:.1f} s for the reader"


def test_memory_databases_are_left_alone() -> None:
    from app import create_app

    app = create_app({"DATABASE_URL": "sqlite:///:memory:", "SECRET_KEY": "t"})
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "memory"

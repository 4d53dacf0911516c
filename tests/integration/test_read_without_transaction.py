"""Read-only calls run in autocommit on PostgreSQL and hand the pool back unchanged."""

from __future__ import annotations

from sqlalchemy import text

from app.extensions import db
from app.read.history import read_without_transaction


def test_reads_open_no_transaction(services_app) -> None:  # type: ignore[no-untyped-def]
    read_without_transaction()
    db.session.execute(text("SELECT 1"))
    state = db.session.execute(text("SELECT now() = statement_timestamp()")).scalar()
    assert state is True  # outside a transaction every statement gets a fresh timestamp
    db.session.remove()


def test_the_pooled_connection_is_back_to_read_committed(services_app) -> None:  # type: ignore[no-untyped-def]
    read_without_transaction()
    db.session.execute(text("SELECT 1"))
    db.session.remove()
    connection = db.session.connection()
    assert connection.connection.dbapi_connection.autocommit is False  # type: ignore[union-attr]
    assert connection.get_isolation_level() == "READ COMMITTED"

"""``in_session``: plain SQL in the ORM session's own transaction, with the ORM's errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy.exc import OperationalError

from app.extensions import db
from app.infra.sql import in_session
from app.models import User
from tests.support.databases import pg_app_context
from tests.support.outages import terminate_connections
from tests.support.services import module_database  # noqa: F401 (fixture pg_url)

pytestmark = pytest.mark.integration
NAMED = "SELECT count(*) FROM users WHERE email = %(email)s"


@pytest.fixture
def app(pg_url: str) -> Iterator[Flask]:
    with pg_app_context(pg_url) as application:
        yield application


def test_it_reads_and_writes_in_the_sessions_transaction(app: Flask) -> None:
    db.session.add(User(email="in-session@example.com", password_hash="x"))
    assert in_session(NAMED, {"email": "in-session@example.com"}) == [(1,)]  # flushed first
    assert in_session("UPDATE users SET display_name = 'Ann' WHERE email = %(email)s",
                      {"email": "in-session@example.com"}) == []  # no rows to return
    db.session.rollback()
    assert in_session(NAMED, {"email": "in-session@example.com"}) == [(0,)]  # undone with it


def test_a_dropped_connection_is_sqlalchemys_error_and_the_next_transaction_reconnects(
        app: Flask, pg_url: str) -> None:
    assert in_session("SELECT 1", {}) == [(1,)]
    assert terminate_connections(pg_url) >= 1
    with pytest.raises(OperationalError) as raised:
        in_session("SELECT 1", {})
    assert raised.value.connection_invalidated
    db.session.rollback()
    assert in_session("SELECT 1", {}) == [(1,)]

"""Migration 0018 (LTI registration invites) through ``flask db upgrade`` and back down on
SQLite: platforms already there keep working with no invite, an invite id names at most
one platform. (PostgreSQL: ``test_0017_lti``'s drift check runs at head and covers it.)"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from tests.support.services import flask_command

ROW = ("INSERT INTO lti_platforms (name, issuer, client_id, auth_login_url, auth_token_url, "
       "jwks_url, created_at{}) VALUES ('m', 'https://lms', '{}', 'https://lms/a', "
       "'https://lms/t', 'https://lms/k', '2026-01-01'{})")


def test_invite_column_up_and_down_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'migrate.db'}"
    flask_command({"DATABASE_URL": url}, "db", "upgrade", "0017")
    with closing(sqlite3.connect(tmp_path / "migrate.db")) as conn:
        conn.execute(ROW.format("", "old", ""))
        conn.commit()
    flask_command({"DATABASE_URL": url}, "db", "upgrade", "0018")
    with closing(sqlite3.connect(tmp_path / "migrate.db")) as conn:
        assert conn.execute("SELECT client_id, invite_id FROM lti_platforms").fetchall() == [
            ("old", None)]
        conn.execute(ROW.format(", invite_id", "c1", ", 'i1'"))
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(ROW.format(", invite_id", "c2", ", 'i1'"))
        conn.commit()
    flask_command({"DATABASE_URL": url}, "db", "downgrade", "0017")
    with closing(sqlite3.connect(tmp_path / "migrate.db")) as conn:
        columns = {r[1] for r in conn.execute("PRAGMA table_info(lti_platforms)")}
        assert "invite_id" not in columns
        assert conn.execute("SELECT count(*) FROM lti_platforms").fetchone() == (2,)

"""Migration 0015 (sign-in identities) through ``flask db upgrade`` and back down: the
table matches the model, (provider, subject) is unique."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from tests.support.services import flask_command


def test_identities_table_up_and_down(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'migrate.db'}"
    flask_command({"DATABASE_URL": url}, "db", "upgrade", "0015")
    with closing(sqlite3.connect(tmp_path / "migrate.db")) as conn:
        conn.execute("INSERT INTO users (id, email, password_hash, role, timezone, created_at) "
                     "VALUES (1, 'a@x.org', '!', 'learner', 'UTC', '2026-01-01')")
        row = ("INSERT INTO identities (provider, subject, user_id, created_at, last_seen_at) "
               "VALUES ('oidc:uni', 's1', 1, '2026-01-01', '2026-01-01')")
        conn.execute(row)
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(row)
        conn.commit()
    flask_command({"DATABASE_URL": url}, "db", "downgrade", "0014")
    with closing(sqlite3.connect(tmp_path / "migrate.db")) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert "identities" not in tables


def test_saml_tables_up_and_down(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'migrate.db'}"
    flask_command({"DATABASE_URL": url}, "db", "upgrade", "0016")
    with closing(sqlite3.connect(tmp_path / "migrate.db")) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert {"saml_sp_keys", "saml_requests"} <= tables
    flask_command({"DATABASE_URL": url}, "db", "downgrade", "0015")
    with closing(sqlite3.connect(tmp_path / "migrate.db")) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert "saml_requests" not in tables and "identities" in tables

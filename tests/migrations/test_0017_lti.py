"""Migration 0017 (LTI) through ``flask db upgrade`` and back down, on SQLite and
PostgreSQL: the tables match the models (Alembic's autogenerate finds no difference on
PostgreSQL), enrollments already there become active, (issuer, client id) is unique."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from tests.support.services import ROOT, flask_command, fresh_database, service_env


def test_lti_tables_up_and_down_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'migrate.db'}"
    flask_command({"DATABASE_URL": url}, "db", "upgrade", "0016")
    with closing(sqlite3.connect(tmp_path / "migrate.db")) as conn:
        conn.execute("INSERT INTO users (id, email, password_hash, role, timezone, created_at) "
                     "VALUES (1, 'a@x.org', '!', 'learner', 'UTC', '2026-01-01')")
        conn.execute("INSERT INTO courses (id, key, title) VALUES (1, 'c', 'C')")
        conn.execute("INSERT INTO enrollments (user_id, course_id, role, created_at) "
                     "VALUES (1, 1, 'learner', '2026-01-01')")
        conn.commit()
    flask_command({"DATABASE_URL": url}, "db", "upgrade", "0017")
    with closing(sqlite3.connect(tmp_path / "migrate.db")) as conn:
        assert conn.execute("SELECT active FROM enrollments").fetchall() == [(1,)]
        row = ("INSERT INTO lti_platforms (name, issuer, client_id, auth_login_url, "
               "auth_token_url, jwks_url, created_at) VALUES ('m', 'https://lms', 'c1', "
               "'https://lms/a', 'https://lms/t', 'https://lms/k', '2026-01-01')")
        conn.execute(row)
        assert conn.execute("SELECT trusted_email, status FROM lti_platforms").fetchall() \
            == [(0, "active")]
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(row)
        conn.commit()
    flask_command({"DATABASE_URL": url}, "db", "downgrade", "0016")
    with closing(sqlite3.connect(tmp_path / "migrate.db")) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        columns = {r[1] for r in conn.execute("PRAGMA table_info(enrollments)")}
    assert not {t for t in tables if t.startswith("lti_")} and "active" not in columns


@pytest.mark.integration
def test_models_match_migrations_on_postgresql() -> None:
    """Autogenerate against the models finds nothing LTI to change (the dialect with the
    stricter types; the way down is the SQLite test's)."""
    with fresh_database() as url:
        _assert_no_lti_drift(url)


def _assert_no_lti_drift(url: str) -> None:
    """``flask db check`` may one day report drift elsewhere (not this test's to judge);
    none may name an LTI table or the enrollments' new column."""
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "check"],
                          cwd=ROOT, env=service_env({"DATABASE_URL": url}),
                          capture_output=True, text=True, timeout=120)
    report = "\n".join(line for line in (done.stdout + done.stderr).splitlines()
                        if not line.startswith("INFO"))
    assert "lti_" not in report and "'active'" not in report, report

"""Migration 0010 puts every learner who recorded progress in a course on its roster, once,
leaving existing enrollments alone — on a SQLite file and on PostgreSQL, through
``flask db upgrade`` as deployments run it; running its SQL again adds nobody twice."""

from __future__ import annotations

import importlib.util
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest

from tests.support.services import PG_ADMIN_URL, ROOT, flask_command, pg_available, require

T0, T1, T2 = (f"2024-05-0{day} 12:00:00+00:00" for day in (1, 2, 3))
# Ann (1) completed a c1 module; Ben (2) scored a c2 unit quiz and a c1 module quiz twice;
# Ida (3) teaches c1 and completed one of its modules; Kim (4) did nothing.
SEED = [
    "INSERT INTO users (id, email, password_hash, role, timezone, created_at) VALUES "
    f"(1, 'ann@x.org', 'h', 'learner', 'UTC', '{T0}'), (2, 'ben@x.org', 'h', 'learner', 'UTC', "
    f"'{T0}'), (3, 'ida@x.org', 'h', 'instructor', 'UTC', '{T0}'), "
    f"(4, 'kim@x.org', 'h', 'learner', 'UTC', '{T0}')",
    "INSERT INTO courses (id, key, title) VALUES (1, 'c1', 'C1'), (2, 'c2', 'C2')",
    "INSERT INTO units (id, key, title, position, course_id) VALUES "
    "(1, 'u1', 'U1', 0, 1), (2, 'u2', 'U2', 0, 2)",
    "INSERT INTO modules (id, key, title, position, unit_id) VALUES "
    "(1, 'm1', 'M1', 0, 1), (2, 'm2', 'M2', 0, 2)",
    "INSERT INTO assessments (id, key, title, max_score, required, pass_ratio, course_id, "
    "unit_id, module_id) VALUES (1, 'qu', 'QU', 10, false, 0.6, NULL, 2, NULL), "
    "(2, 'qm', 'QM', 10, false, 0.6, NULL, NULL, 1)",
    "INSERT INTO enrollments (user_id, course_id, role, created_at) VALUES "
    f"(3, 1, 'instructor', '{T0}')",
    f"INSERT INTO module_completions (user_id, module_id, completed_at) VALUES (1, 1, '{T1}'), "
    f"(3, 1, '{T1}')",
    "INSERT INTO assessment_attempts (user_id, assessment_id, score, occurred_at) VALUES "
    f"(2, 1, 5, '{T2}'), (2, 2, 5, '{T2}'), (2, 2, 7, '{T1}')",
]
ROSTER = "SELECT user_id, course_id, role, created_at FROM enrollments ORDER BY user_id, course_id"
Query = Callable[[str], list[tuple]]


def upgrade_with_seed(url: str, run: Callable[[list[str]], None]) -> None:
    flask_command({"DATABASE_URL": url}, "db", "upgrade", "0009")
    run(SEED)
    flask_command({"DATABASE_URL": url}, "db", "upgrade", "0010")


def check(rows: list[tuple]) -> None:
    assert [row[:3] for row in rows] == [(1, 1, "learner"), (2, 1, "learner"),
                                         (2, 2, "learner"), (3, 1, "instructor")]
    since = {(user, course): str(at) for user, course, _, at in rows}
    assert since[(2, 1)].startswith("2024-05-02") and since[(1, 1)].startswith("2024-05-02")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'migrate.db'}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """An empty PostgreSQL database (migrated by the test itself)."""
    import psycopg

    error = pg_available()
    require(error is None, f"PostgreSQL at {PG_ADMIN_URL}: {error}")
    name = f"mig_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sqlite_runner(url: str) -> tuple[Callable[[list[str]], None], Query]:
    path = url.removeprefix("sqlite:///")

    def run(statements: list[str]) -> None:
        with closing(sqlite3.connect(path)) as conn, conn:
            for sql in statements:
                conn.execute(sql)

    def query(sql: str) -> list[tuple]:
        with closing(sqlite3.connect(path)) as conn:
            return conn.execute(sql).fetchall()

    return run, query


def pg_runner(url: str) -> tuple[Callable[[list[str]], None], Query]:
    import psycopg

    def run(statements: list[str]) -> None:
        with psycopg.connect(url) as conn:
            for sql in statements:
                conn.execute(sql)

    def query(sql: str) -> list[tuple]:
        with psycopg.connect(url) as conn:
            return conn.execute(sql).fetchall()

    return run, query


def test_sqlite_learners_with_progress_join_their_courses_rosters(sqlite_url: str) -> None:
    run, query = sqlite_runner(sqlite_url)
    upgrade_with_seed(sqlite_url, run)
    check(query(ROSTER))
    run([migration_sql()])  # a rerun (after a downgrade, say) adds nobody twice
    check(query(ROSTER))


def test_postgresql_learners_with_progress_join_their_courses_rosters(pg_url: str) -> None:
    run, query = pg_runner(pg_url)
    upgrade_with_seed(pg_url, run)
    check(query(ROSTER))
    run([migration_sql()])
    check(query(ROSTER))


def migration_sql() -> str:
    path = ROOT / "migrations" / "versions" / "0010_rosters_from_progress.py"
    spec = importlib.util.spec_from_file_location("rosters_0010", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ROSTER

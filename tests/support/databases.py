"""The app on either database: the embedded SQLite file, or a migrated PostgreSQL database
emptied after each test. Tests marked ``both_databases`` run once on each (tests/conftest.py),
so behaviour that takes a different statement per dialect is held to one set of tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask

from app import create_app
from app.config import Config
from app.extensions import db
from app.infra.caches.catalog import clear_cache
from app.infra.caches.learner_count import learner_count

DATABASES = ("sqlite", "postgresql")


@contextmanager
def pg_app_context(url: str) -> Iterator[Flask]:
    """An app on this PostgreSQL database (tasks eager, in-process pub/sub) in its context;
    tables emptied afterwards."""
    application = create_app(Config(DATABASE_URL=url, SECRET_KEY="test", TESTING=True))
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()  # each test's app has its own pool: close it, or they pile up
    truncate_all(url)
    clear_cache()  # process caches outlive the rows they were built from
    learner_count.clear()


@contextmanager
def sqlite_app_context(config: Config) -> Iterator[Flask]:
    """An app on its own embedded SQLite file (tables made, CSRF off) in its context."""
    application = create_app(config)
    application.config["WTF_CSRF_ENABLED"] = False
    with application.app_context():
        db.create_all()
        yield application
        db.session.remove()


def truncate_all(url: str) -> None:
    """Empty every table (ids restart), whatever tables the migrations made."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        tables = [row[0] for row in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename NOT IN ('alembic_version', 'catalog_revision')")]
        conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")

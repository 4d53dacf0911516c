"""Recording on PostgreSQL, where an event and its fact are stored by one statement
(app.infra.event_rows): what only this path does (autocommit, a retried statement, concurrent
duplicates). The behaviour both databases share is tested on both in tests/services/recording.

The ``app`` fixture is overridden with an app on a fresh PostgreSQL database
(tasks eager), so every fixture built on it serves that database.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from flask import Flask

from app.extensions import db
from app.infra.caches.catalog import clear_cache
from app.models import ModuleCompletion, ProgressEvent
from app.services.recording import record_progress
from tests.services.recording.test_record_progress import completed, count
from tests.support.databases import pg_app_context
from tests.support.outages import terminate_connections
from tests.support.services import module_database  # noqa: F401 (fixture pg_url)

pytestmark = pytest.mark.integration
WHEN = datetime(2024, 5, 1, 12, tzinfo=UTC)


@pytest.fixture
def app(pg_url: str) -> Iterator[Flask]:
    with pg_app_context(pg_url) as application:
        yield application
    clear_cache()


def test_a_dropped_connection_is_retried_and_the_event_stored_once(pg_url, catalog,
                                                                  learner) -> None:
    record_progress(completed(learner.id, "c1-u1-m1", key="warm"))  # a pooled connection
    db.session.remove()
    db.engine.dispose()  # the ORM's connections are closed first: only the store's pool is tested
    assert terminate_connections(pg_url) >= 1
    result = record_progress(completed(learner.id, "c1-u1-m2"))
    assert result.created
    assert count(ProgressEvent) == 2 and count(ModuleCompletion) == 2


def test_the_same_event_posted_at_once_is_stored_once(app, catalog, learner) -> None:
    def post(_: int) -> tuple[bool, int]:
        with app.app_context():
            result = record_progress(completed(learner.id, "c1-u1-m1", key="same"))
            return result.created, result.event.id

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(post, range(16)))
    assert [created for created, _ in results].count(True) == 1
    assert len({event_id for _, event_id in results}) == 1
    assert count(ProgressEvent) == count(ModuleCompletion) == 1

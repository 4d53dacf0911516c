"""Recording on PostgreSQL, where an event and its fact are stored by one statement
(app.services.recording.store): the embedded database's tests, run again here, and what only
this path does (autocommit, a retried statement, concurrent duplicates).

The ``app`` fixture is overridden with an app on a fresh PostgreSQL database
(tasks eager), so every fixture built on it serves that database.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import select

from app.errors import NotFound
from app.extensions import db
from app.infra.caches.catalog import clear_cache
from app.models import AssessmentAttempt, ModuleCompletion, ProgressEvent
from app.services.recording import ProgressInput, record_progress
from tests.integration.conftest import pg_app_context
from tests.services.recording.test_record_progress import (  # noqa: F401 (run again on PostgreSQL)
    completed,
    count,
    test_ancient_or_future_timestamps_are_invalid,
    test_records_event_and_completion_and_awards_eagerly,
    test_same_key_other_body_conflicts,
    test_same_key_same_body_stores_nothing_new,
    test_score_above_max_is_invalid,
    test_unknown_module_is_invalid_and_stores_nothing,
    test_unknown_user_is_not_found,
)
from tests.support.catalog import build_catalog
from tests.support.outages import terminate_connections
from tests.support.services import module_database  # noqa: F401 (fixture pg_url)

pytestmark = pytest.mark.integration
WHEN = datetime(2024, 5, 1, 12, tzinfo=UTC)


@pytest.fixture
def app(pg_url: str) -> Iterator[Flask]:
    with pg_app_context(pg_url) as application:
        yield application
    clear_cache()


def test_the_event_and_its_completion_are_one_committed_row_each(catalog, learner) -> None:
    event = record_progress(ProgressInput(user_id=learner.id, kind="module_completed",
                                          occurred_at=WHEN, idempotency_key="k",
                                          module="c1-u1-m1")).event
    stored = db.session.get(ProgressEvent, event.id)
    assert stored is not None and stored.payload == {"module": "c1-u1-m1"}
    assert (stored.occurred_at, stored.source, stored.processed_at is None) == (WHEN, "api", False)
    completion = db.session.scalar(select(ModuleCompletion))
    assert (completion.event_id, completion.completed_at) == (event.id, WHEN)


def test_an_assessment_score_stores_its_attempt(app, learner) -> None:
    build_catalog("c2", assessments=[{"key": "q", "title": "Q", "max_score": 10,
                                      "required": True}])
    event = record_progress(ProgressInput(
        user_id=learner.id, kind="assessment_scored", occurred_at=WHEN, idempotency_key="k",
        assessment="q", score=7)).event
    attempt = db.session.scalar(select(AssessmentAttempt))
    assert (attempt.event_id, attempt.score, attempt.occurred_at) == (event.id, 7.0, WHEN)
    assert db.session.get(ProgressEvent, event.id).payload == {"assessment": "q", "score": 7.0}


def test_an_activity_stores_the_event_alone(app, learner) -> None:
    record_progress(ProgressInput(user_id=learner.id, kind="activity", occurred_at=WHEN,
                                  idempotency_key="k"))
    assert count(ProgressEvent) == 1
    assert count(ModuleCompletion) == count(AssessmentAttempt) == 0


def test_an_unknown_learner_stores_nothing_for_any_kind(catalog) -> None:
    for kind, extra in (("module_completed", {"module": "c1-u1-m1"}), ("activity", {})):
        with pytest.raises(NotFound):
            record_progress(ProgressInput(user_id=999, kind=kind, occurred_at=None,
                                          idempotency_key="k", **extra))
    assert count(ProgressEvent) == count(ModuleCompletion) == 0


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

"""The progress service: validation, idempotency and the outbox row, on both databases
(recording takes one statement on PostgreSQL and a transaction on SQLite: app.infra.event_rows)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.errors import Conflict, InvalidInput, NotFound
from app.extensions import db
from app.models import Achievement, AssessmentAttempt, ModuleCompletion, ProgressEvent
from app.services.recording import ProgressInput, record_progress
from tests.support.catalog import build_catalog

pytestmark = pytest.mark.both_databases
WHEN = datetime(2024, 5, 1, 12, tzinfo=UTC)


def completed(user_id: int, module: str, key: str = "k1", **extra) -> ProgressInput:
    return ProgressInput(user_id=user_id, kind="module_completed", occurred_at=None,
                         idempotency_key=key, module=module, **extra)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_records_event_and_completion_and_awards_eagerly(catalog, learner) -> None:
    result = record_progress(completed(learner.id, "c1-u1-m1"))
    assert result.created
    assert count(ProgressEvent) == 1 and count(ModuleCompletion) == 1
    keys = set(db.session.scalars(select(Achievement.dedupe_key)))
    assert "module_complete:c1-u1-m1" in keys


def test_same_key_same_body_stores_nothing_new(catalog, learner) -> None:
    first = record_progress(completed(learner.id, "c1-u1-m1"))
    again = record_progress(completed(learner.id, "c1-u1-m1"))
    assert not again.created and again.event.id == first.event.id
    assert count(ProgressEvent) == 1


def test_same_key_other_body_conflicts(catalog, learner) -> None:
    record_progress(completed(learner.id, "c1-u1-m1"))
    with pytest.raises(Conflict):
        record_progress(completed(learner.id, "c1-u1-m2"))


def test_unknown_module_is_invalid_and_stores_nothing(catalog, learner) -> None:
    with pytest.raises(InvalidInput):
        record_progress(completed(learner.id, "nope"))
    assert count(ProgressEvent) == 0


def test_unknown_user_is_not_found(catalog) -> None:
    with pytest.raises(NotFound):
        record_progress(completed(999, "c1-u1-m1"))


@pytest.mark.parametrize("when", [datetime(1999, 12, 31, tzinfo=UTC),
                                  datetime.now(UTC) + timedelta(days=1)])
def test_ancient_or_future_timestamps_are_invalid(catalog, learner, when) -> None:
    data = ProgressInput(user_id=learner.id, kind="activity", occurred_at=when,
                         idempotency_key="k")
    with pytest.raises(InvalidInput):
        record_progress(data)
    assert count(ProgressEvent) == 0


def scored(user_id: int, assessment: str, score: float | None, key: str = "k") -> ProgressInput:
    return ProgressInput(user_id=user_id, kind="assessment_scored", occurred_at=None,
                         idempotency_key=key, assessment=assessment, score=score)


@pytest.mark.parametrize("score", [11, -1, None, float("nan"), float("inf")])
def test_a_score_outside_the_assessments_range_is_invalid(app, learner, score) -> None:
    build_catalog("c2", assessments=[{"key": "q", "title": "Q", "max_score": 10,
                                      "required": True}])
    with pytest.raises(InvalidInput) as refused:
        record_progress(scored(learner.id, "q", score))
    assert refused.value.fields == {"score": ["must be between 0 and 10"]}
    assert count(ProgressEvent) == count(AssessmentAttempt) == 0


def test_the_ends_of_the_range_are_scores(app, learner) -> None:
    build_catalog("c2", assessments=[{"key": "q", "title": "Q", "max_score": 10,
                                      "required": True}])
    assert record_progress(scored(learner.id, "q", 0, key="low")).created
    assert record_progress(scored(learner.id, "q", 10, key="high")).created
    assert count(AssessmentAttempt) == 2


def test_what_the_catalog_refuses_is_named_before_an_unknown_learner(catalog) -> None:
    """The catalog's rules come first, as every other input rule does (422 before 404)."""
    with pytest.raises(InvalidInput) as module:
        record_progress(completed(999, "nope"))
    with pytest.raises(InvalidInput) as assessment:
        record_progress(scored(999, "nope", 1))
    assert module.value.fields == {"module": ["unknown module"]}
    assert assessment.value.fields == {"assessment": ["unknown assessment"]}
    assert count(ProgressEvent) == 0


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

"""Recording many events at once answers each as record_progress would, stores the new ones
together and enqueues detection once per learner (on both databases)."""

from __future__ import annotations

import pytest

from app.errors import Conflict, InvalidInput, NotFound
from app.models import AssessmentAttempt, ModuleCompletion, ProgressEvent
from app.services.recording import ProgressInput, RecordResult, record_many, record_progress
from tests.services.awarding.conftest import award_keys
from tests.services.recording.test_record_progress import completed, count
from tests.support.catalog import build_catalog

pytestmark = pytest.mark.both_databases


def test_each_event_is_stored_once_with_its_fact_and_awards(catalog, learner) -> None:
    results = record_many([completed(learner.id, "c1-u1-m1", key="a"),
                           completed(learner.id, "c1-u1-m2", key="b")])
    assert [r.created for r in results] == [True, True]
    assert results[0].event.id < results[1].event.id
    assert count(ProgressEvent) == count(ModuleCompletion) == 2
    assert {"module_complete:c1-u1-m1", "unit_complete:c1-u1"} <= award_keys(learner)


def test_each_item_gets_its_own_answer(catalog, learner) -> None:
    record_progress(completed(learner.id, "c1-u1-m1", key="old"))
    results = record_many([
        completed(learner.id, "c1-u1-m2", key="new"),
        completed(learner.id, "c1-u1-m1", key="old"),        # a replay of a stored key
        completed(learner.id, "nope", key="bad"),             # invalid
        completed(999, "c1-u1-m1", key="x"),                  # unknown learner
        completed(learner.id, "c1-u1-m2", key="new"),        # repeated within the batch
        completed(learner.id, "c1-u1-m1", key="old", score=1),  # same key, other body
    ])
    assert isinstance(results[0], RecordResult) and results[0].created
    assert isinstance(results[1], RecordResult) and not results[1].created
    assert isinstance(results[2], InvalidInput) and isinstance(results[3], NotFound)
    assert isinstance(results[4], RecordResult) and not results[4].created
    assert results[4].event.id == results[0].event.id
    assert isinstance(results[5], Conflict)
    assert count(ProgressEvent) == 2


def test_scores_store_their_attempts(app, learner) -> None:
    build_catalog("c2", assessments=[{"key": "q", "title": "Q", "max_score": 10,
                                      "required": True}])
    results = record_many([ProgressInput(user_id=learner.id, kind="assessment_scored",
                                         occurred_at=None, idempotency_key=f"s{i}",
                                         assessment="q", score=score)
                           for i, score in enumerate((4, 10))])
    assert all(r.created for r in results)
    assert count(AssessmentAttempt) == 2
    assert "perfect_score:q" in award_keys(learner)


def test_detection_is_enqueued_once_per_learner(catalog, learner, make_user,
                                                monkeypatch) -> None:
    enqueued: list[tuple[int, int]] = []
    monkeypatch.setattr("app.services.recording.service.enqueue_evaluation",
                        lambda event_id, user_id: enqueued.append((event_id, user_id)))
    other = make_user()
    results = record_many([completed(learner.id, "c1-u1-m1", key="a"),
                           completed(other.id, "c1-u1-m1", key="a"),
                           completed(learner.id, "c1-u1-m2", key="b")])
    assert enqueued == [(results[0].event.id, learner.id), (results[1].event.id, other.id)]


def test_an_empty_batch_does_nothing(app) -> None:
    assert record_many([]) == []


def test_a_refused_fact_leaves_the_rest_of_the_batch_stored(app, learner) -> None:
    build_catalog("c2", units=1, modules=1, assessments=[
        {"key": "q", "title": "Q", "max_score": 10, "required": True}])
    results = record_many([
        ProgressInput(user_id=learner.id, kind="assessment_scored", occurred_at=None,
                      idempotency_key="high", assessment="q", score=12),
        completed(learner.id, "c2-u1-m1", key="ok"),
        ProgressInput(user_id=learner.id, kind="assessment_scored", occurred_at=None,
                      idempotency_key="quiz", assessment="nope", score=1),
        completed(learner.id, "nope", key="no-module"),
    ])
    assert [type(r).__name__ for r in results] == [
        "InvalidInput", "RecordResult", "InvalidInput", "InvalidInput"]
    assert [r.fields for r in results if isinstance(r, InvalidInput)] == [
        {"score": ["must be between 0 and 10"]}, {"assessment": ["unknown assessment"]},
        {"module": ["unknown module"]}]
    assert count(ProgressEvent) == count(ModuleCompletion) == 1
    assert count(AssessmentAttempt) == 0

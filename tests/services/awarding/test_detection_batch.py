"""One evaluation settles other learners' pending events too (batched detection)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Achievement, ProgressEvent
from app.services.awarding import detection
from app.services.recording import ProgressInput, record_progress
from tests.services.awarding.conftest import award_keys

pytestmark = pytest.mark.both_databases  # detection's SQL differs per dialect


def queued(monkeypatch, user_id: int, module: str) -> int:
    """Record an event whose task has not run yet (it sits in the queue)."""
    monkeypatch.setattr("app.services.recording.service.enqueue_evaluation",
                        lambda event_id, user_id: True)
    event = record_progress(ProgressInput(user_id=user_id, kind="module_completed",
                                          occurred_at=None, idempotency_key=f"q{module}",
                                          module=module)).event
    monkeypatch.undo()
    return event.id


def event_row(event_id: int) -> ProgressEvent:
    db.session.expire_all()
    found = db.session.get(ProgressEvent, event_id)
    assert found is not None
    return found


def test_one_task_settles_other_learners(monkeypatch, catalog, make_user) -> None:
    first, second = make_user(), make_user()
    own, other = queued(monkeypatch, first.id, "c1-u1-m1"), queued(monkeypatch, second.id,
                                                                   "c1-u1-m2")
    detection.evaluate_event(own)
    assert "module_complete:c1-u1-m2" in award_keys(second)
    assert event_row(other).processed_at is not None
    assert detection.evaluate_event(other) == []


def test_each_award_names_its_learners_own_event(monkeypatch, catalog, make_user) -> None:
    first, second = make_user(), make_user()
    own, other = queued(monkeypatch, first.id, "c1-u1-m1"), queued(monkeypatch, second.id,
                                                                   "c1-u1-m2")
    detection.evaluate_event(own)
    rows = db.session.execute(select(Achievement.user_id, Achievement.source_event_id)
                              .where(Achievement.achievement_type == "module_complete"))
    sources = {row.user_id: row.source_event_id for row in rows}
    assert sources == {first.id: own, second.id: other}


def test_only_the_tasks_own_event_counts_an_attempt(monkeypatch, catalog, make_user) -> None:
    first, second = make_user(), make_user()
    own, other = queued(monkeypatch, first.id, "c1-u1-m1"), queued(monkeypatch, second.id,
                                                                   "c1-u1-m2")
    detection.evaluate_event(own)
    assert (event_row(own).attempts, event_row(other).attempts) == (1, 0)


def test_a_batch_holds_at_most_batch_learners(monkeypatch, catalog, make_user) -> None:
    people = [make_user() for _ in range(3)]
    events = [queued(monkeypatch, person.id, "c1-u1-m1") for person in people]
    monkeypatch.setattr(detection, "BATCH_LEARNERS", 2)
    detection.evaluate_event(events[0])
    settled = [event_row(event_id).processed_at is not None for event_id in events]
    assert settled == [True, True, False]


def test_a_shard_task_settles_its_shard_and_only_it(monkeypatch, catalog, make_user) -> None:
    """Two shards: the task of learners' shard 0 settles every pending learner of it, in
    batches and reads smaller than the shard, and leaves shard 1 to its own task."""
    people = [make_user() for _ in range(7)]
    events = {person.id: queued(monkeypatch, person.id, "c1-u1-m1") for person in people}
    monkeypatch.setattr(detection, "BATCH_LEARNERS", 2)
    monkeypatch.setattr(detection, "SHARD_SCAN", 2)
    even = [person.id for person in people if person.id % 2 == 0]
    new = detection.evaluate_event(events[even[0]], even[0], shards=2)
    assert {award.user_id for award in new} == set(even)
    settled = {user_id for user_id, event_id in events.items()
               if event_row(event_id).processed_at is not None}
    assert settled == set(even)

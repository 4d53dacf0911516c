"""The outbox sweep task re-enqueues old unprocessed events (lost enqueue) and they get done."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.models import ProgressEvent
from app.models.types import utcnow
from app.services.recording import ProgressInput, record_progress
from tests.services.awarding.conftest import award_keys

pytestmark = pytest.mark.both_databases  # detection's SQL differs per dialect


def lost_enqueue(monkeypatch, user_id: int, module: str) -> int:
    """Record an event whose task never reached the queue, then age it."""
    monkeypatch.setattr("app.services.recording.service.enqueue_evaluation",
                        lambda event_id, user_id: False)
    event = record_progress(ProgressInput(user_id=user_id, kind="module_completed",
                                          occurred_at=None, idempotency_key="lost",
                                          module=module)).event
    monkeypatch.undo()
    db.session.execute(update(ProgressEvent).where(ProgressEvent.id == event.id)
                       .values(recorded_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    return event.id


def test_sweep_task_evaluates_a_lost_event(monkeypatch, catalog, learner) -> None:
    from workers.tasks import sweep_outbox

    event_id = lost_enqueue(monkeypatch, learner.id, "c1-u1-m1")
    assert award_keys(learner) == set()
    assert sweep_outbox.apply().get() >= 1
    assert "module_complete:c1-u1-m1" in award_keys(learner)
    assert db.session.get(ProgressEvent, event_id).processed_at is not None


def test_young_events_are_left_to_their_own_task(monkeypatch, catalog, learner) -> None:
    from app.services.recording.outbox import stale_events

    event_id = lost_enqueue(monkeypatch, learner.id, "c1-u1-m1")
    assert stale_events(age_seconds=600) == []
    assert stale_events(age_seconds=60) == [(event_id, learner.id)]


def test_sweep_pages_through_a_backlog_one_task_per_learner_a_page(
        monkeypatch, app, learner) -> None:
    from app.services.recording import outbox

    events = [ProgressEvent(user_id=learner.id, kind="activity", payload={},
                            idempotency_key=f"b{i}", request_hash="x", occurred_at=utcnow(),
                            recorded_at=utcnow() - timedelta(hours=1)) for i in range(7)]
    db.session.add_all(events)
    db.session.commit()
    ids, user_id = sorted(e.id for e in events), learner.id
    sent: list[tuple[int, int, bool]] = []
    monkeypatch.setattr(outbox, "SWEEP_BATCH", 3)
    monkeypatch.setattr(outbox, "enqueue_evaluation",
                        lambda event_id, user_id, gated: sent.append((event_id, user_id, gated))
                        or 1)
    assert outbox.sweep(60) == 3
    assert sent == [(ids[0], user_id, False), (ids[3], user_id, False), (ids[6], user_id, False)]


def test_evaluating_twice_is_harmless(catalog, learner) -> None:
    from app.services.awarding.detection import evaluate_event

    record_progress(ProgressInput(user_id=learner.id, kind="module_completed", occurred_at=None,
                                  idempotency_key="once", module="c1-u1-m1"))
    event_id = db.session.scalar(select(ProgressEvent.id))
    db.session.execute(update(ProgressEvent).values(processed_at=None))
    db.session.commit()
    assert evaluate_event(event_id) == []
    assert evaluate_event(event_id) == []

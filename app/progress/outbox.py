"""The outbox sweep: re-enqueue events that stayed unprocessed too long.

Why this closes the gap: the event row commits before its task is enqueued.
A lost enqueue, a broker outage or a worker killed past its redelivery leaves
``processed_at`` NULL, and this sweep (run by Celery beat) hands such events to
the queue again. Detection is idempotent, so an event swept while its first
task is still running costs only repeated work.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import ProgressEvent
from app.models.types import utcnow
from app.progress.dispatch import enqueue_evaluation

SWEEP_BATCH = 1000
SWEEP_MAX_BATCHES = 20


def stale_event_ids(age_seconds: float, limit: int = SWEEP_BATCH, after_id: int = 0) -> list[int]:
    """Unprocessed events recorded more than ``age_seconds`` ago, by id after ``after_id``."""
    cutoff = utcnow() - timedelta(seconds=age_seconds)
    query = (
        select(ProgressEvent.id)
        .where(ProgressEvent.processed_at.is_(None), ProgressEvent.recorded_at < cutoff,
               ProgressEvent.id > after_id)
        .order_by(ProgressEvent.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def sweep(age_seconds: float | None = None, max_batches: int = SWEEP_MAX_BATCHES) -> int:
    """Enqueue stale unprocessed events; returns how many were handed to the queue.

    Pages by id so one run drains a backlog of up to ``max_batches`` batches
    (a broker outage at 1,000 events/s leaves tens of thousands). An event
    whose first task is merely still queued gets a second task: detection
    answers that one with a single read (``processed_at`` is set), which is
    why the age should exceed the usual queue delay.
    """
    settings = current_app.config["ACHIEVEMENTS_CONFIG"]
    age = settings.OUTBOX_SWEEP_AGE_SECONDS if age_seconds is None else age_seconds
    sent, last = 0, 0
    for _ in range(max_batches):
        ids = stale_event_ids(age, after_id=last)
        db.session.remove()  # hold no transaction while talking to the broker
        sent += sum(enqueue_evaluation(event_id) for event_id in ids)
        if len(ids) < SWEEP_BATCH:
            break
        last = ids[-1]
    return sent

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


def stale_event_ids(age_seconds: float, limit: int = SWEEP_BATCH) -> list[int]:
    cutoff = utcnow() - timedelta(seconds=age_seconds)
    query = (
        select(ProgressEvent.id)
        .where(ProgressEvent.processed_at.is_(None), ProgressEvent.recorded_at < cutoff)
        .order_by(ProgressEvent.recorded_at)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def sweep(age_seconds: float | None = None) -> int:
    """Enqueue stale unprocessed events; returns how many were handed to the queue."""
    settings = current_app.config["ACHIEVEMENTS_CONFIG"]
    age = settings.OUTBOX_SWEEP_AGE_SECONDS if age_seconds is None else age_seconds
    ids = stale_event_ids(age)
    db.session.remove()
    return sum(enqueue_evaluation(event_id) for event_id in ids)

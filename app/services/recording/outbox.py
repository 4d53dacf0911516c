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
from app.infra.gate import gate, shard_of
from app.models import ProgressEvent
from app.models.types import utcnow
from app.services.recording.dispatch import enqueue_evaluation

SWEEP_BATCH = 1000
SWEEP_MAX_BATCHES = 20


def stale_events(age_seconds: float, limit: int = SWEEP_BATCH,
                 after_id: int = 0) -> list[tuple[int, int]]:
    """``(event id, learner id)`` of events unprocessed for over ``age_seconds``, by id."""
    cutoff = utcnow() - timedelta(seconds=age_seconds)
    query = (
        select(ProgressEvent.id, ProgressEvent.user_id)
        .where(ProgressEvent.processed_at.is_(None), ProgressEvent.recorded_at < cutoff,
               ProgressEvent.id > after_id)
        .order_by(ProgressEvent.id)
        .limit(limit)
    )
    return [(row.id, row.user_id) for row in db.session.execute(query)]


def sweep(age_seconds: float | None = None, max_batches: int = SWEEP_MAX_BATCHES) -> int:
    """Enqueue detection for learners with stale events; returns how many tasks went out.

    Pages by id so one run drains a backlog of up to ``max_batches`` batches
    (a broker outage at 1,000 events/s leaves tens of thousands). One task per
    gate shard a page names (per learner without the gate): detection settles
    every pending event of the shard. The sweep bypasses the detection gate
    (``app.infra.gate``): it is the net for events whose gated enqueue was
    skipped or lost. A shard whose task is merely still queued gets a second
    one, answered with one read, which is why the age should exceed the usual
    queue delay.
    """
    settings = current_app.config["ACHIEVEMENTS_CONFIG"]
    age = settings.OUTBOX_SWEEP_AGE_SECONDS if age_seconds is None else age_seconds
    sent, last = 0, 0
    for _ in range(max_batches):
        rows = stale_events(age, limit=SWEEP_BATCH, after_id=last)
        db.session.remove()  # hold no transaction while talking to the broker
        sent += _enqueue_per_shard(rows)
        if len(rows) < SWEEP_BATCH:
            break
        last = rows[-1][0]
    return sent


def _enqueue_per_shard(rows: list[tuple[int, int]]) -> int:
    """One task per shard (per learner when the gate is off), carrying its oldest event."""
    shards = gate().shards
    oldest: dict[int, tuple[int, int]] = {}
    for event_id, user_id in rows:
        oldest.setdefault(shard_of(user_id, shards) if shards else user_id, (event_id, user_id))
    return sum(enqueue_evaluation(event_id, user_id, gated=False)
               for event_id, user_id in oldest.values())

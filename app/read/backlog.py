"""The outbox as an operator sees it: how many progress events wait for detection, how
many have waited too long, and the age of the oldest (``app.services.monitoring``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import func, select

from app.extensions import db
from app.models import ProgressEvent
from app.models.types import utcnow


class Backlog(NamedTuple):
    pending: int
    stale: int  # pending for longer than the age asked about
    oldest_seconds: float  # 0 when nothing is pending


def outbox_backlog(age_seconds: float, now: datetime | None = None) -> Backlog:
    """One query over the unprocessed events (the partial index of pending events)."""
    now = now or utcnow()
    cutoff = now - timedelta(seconds=age_seconds)
    events = ProgressEvent.__table__.c
    pending, stale, oldest = db.session.execute(
        select(func.count(), func.count().filter(events.recorded_at < cutoff),
               func.min(events.recorded_at))
        .where(events.processed_at.is_(None))).one()
    db.session.rollback()
    age = (now - oldest).total_seconds() if oldest is not None else 0.0
    return Backlog(pending, stale, max(age, 0.0))

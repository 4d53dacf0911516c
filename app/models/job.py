"""Badge operations too large for one request (awarding a long list, publishing with a
backfill, counting who would earn a badge), run by a worker while the console shows
their progress.

A job's row is its checkpoint: ``done`` moves in the same transaction as the work it
counts, so a worker that dies mid-job is redelivered the id and resumes after the
last committed batch, and what it already gave is never given twice. ``updated_at``
moves with every batch: a job standing still past the outbox sweep's age is handed to a
worker again (the sweep), and a batch commits only if ``done`` is still what its runner
read, so two runners of one job never both count a batch.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import JSONType, UTCDateTime, utcnow

JOB_KINDS = ("award", "publish", "count")
JOB_STATES = ("queued", "running", "done", "failed")


class BadgeJob(db.Model):
    __tablename__ = "badge_jobs"
    __table_args__ = (Index("ix_badge_jobs_badge_key", "badge_key", "id"),
                      Index("ix_badge_jobs_status_updated", "status", "updated_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    badge_key: Mapped[str] = mapped_column(String(80))
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    result: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

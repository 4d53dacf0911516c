"""Progress facts and the outbox of progress events that detection consumes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import JSONType, UTCDateTime, utcnow

EVENT_KINDS = ("module_completed", "assessment_scored", "activity")


class ProgressEvent(db.Model):
    """One recorded progress input; doubles as the outbox row until ``processed_at`` is set."""

    __tablename__ = "progress_events"
    __table_args__ = (
        # Keys are per caller: two services may use the same key for one learner.
        UniqueConstraint("user_id", "source", "idempotency_key",
                         name="uq_progress_events_user_key"),
        Index("ix_progress_events_unprocessed", "processed_at", "recorded_at"),
        Index("ix_progress_events_user_occurred", "user_id", "occurred_at"),
        # "Has this learner anything pending?" — every detection task asks (app.infra.gate).
        Index("ix_progress_events_user_pending", "user_id",
              postgresql_where=text("processed_at IS NULL"),
              sqlite_where=text("processed_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    idempotency_key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(120), default="api")  # the caller's key
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    # The recording call's id (app.infra.context): the worker logs the event and its awards
    # with it. Never shown to clients.
    request_id: Mapped[str | None] = mapped_column(String(64))


class ModuleCompletion(db.Model):
    """A module is complete once any completion was recorded; the earliest is kept."""

    __tablename__ = "module_completions"
    __table_args__ = (UniqueConstraint("user_id", "module_id", name="uq_module_completions_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"), index=True)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    event_id: Mapped[int | None] = mapped_column(ForeignKey("progress_events.id"))


class AssessmentAttempt(db.Model):
    __tablename__ = "assessment_attempts"
    __table_args__ = (Index("ix_assessment_attempts_user", "user_id", "assessment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"))
    score: Mapped[float] = mapped_column(Float)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    event_id: Mapped[int | None] = mapped_column(ForeignKey("progress_events.id"))

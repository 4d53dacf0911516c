"""Awards: one row per (learner, dedupe_key), never deleted, revocable with a reason."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import JSONType, UTCDateTime, utcnow


class Achievement(db.Model):
    __tablename__ = "achievements"
    __table_args__ = (
        UniqueConstraint("user_id", "dedupe_key", name="uq_achievements_user_dedupe"),
        # Serves "a learner's awards, newest first, by type" as a keyset scan on id.
        Index("ix_achievements_user_type_id", "user_id", "achievement_type", "id"),
        Index("ix_achievements_user_id", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    achievement_type: Mapped[str] = mapped_column(String(40))
    dedupe_key: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    earned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    source_event_id: Mapped[int | None] = mapped_column(ForeignKey("progress_events.id"))
    silent: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by: Mapped[str | None] = mapped_column(String(200))


class AchievementStat(db.Model):
    """How many learners hold each award (revoked ones excluded): rarity without a scan.

    Maintained in the same transaction as every award insert, revocation and restore.
    """

    __tablename__ = "achievement_stats"

    dedupe_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    achievement_type: Mapped[str] = mapped_column(String(40))
    holders: Mapped[int] = mapped_column(default=0)

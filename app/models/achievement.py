"""Awards: one row per (learner, dedupe_key), never deleted, revocable with a reason."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import JSONType, UTCDateTime, utcnow


def new_public_id() -> str:
    """A fresh public id (UUID 4): every insert path fills it (ORM default, row dicts)."""
    return str(uuid.uuid4())


class Achievement(db.Model):
    __tablename__ = "achievements"
    __table_args__ = (
        UniqueConstraint("user_id", "dedupe_key", name="uq_achievements_user_dedupe"),
        # Serves "a learner's awards, newest first, by type" as a keyset scan on id.
        Index("ix_achievements_user_type_id", "user_id", "achievement_type", "id"),
        Index("ix_achievements_user_id", "user_id", "id"),
        UniqueConstraint("public_id", name="uq_achievements_public_id"),
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
    # Open Badges: the unguessable id every public URL uses (never the row id), and
    # whether the learner shares the award (private until they do).
    public_id: Mapped[str] = mapped_column(String(36), default=new_public_id)
    public: Mapped[bool] = mapped_column(default=False, server_default=false())


class AchievementStat(db.Model):
    """How many learners hold each award (revoked ones excluded): rarity without a scan.

    Maintained in the same transaction as every award insert, revocation and restore.
    """

    __tablename__ = "achievement_stats"

    dedupe_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    achievement_type: Mapped[str] = mapped_column(String(40))
    holders: Mapped[int] = mapped_column(default=0)


class SigningKey(db.Model):
    """A key that signs Open Badges 3.0 credentials; none is ever deleted, so every
    credential signed stays verifiable after a rotation (the newest signs).

    ``private_pem`` is null for a key loaded from ``ACHIEVEMENTS_SIGNING_KEY_FILE``:
    only its public half is recorded, to stay listed once the file is replaced.
    """

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_pem: Mapped[bytes | None] = mapped_column(LargeBinary)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

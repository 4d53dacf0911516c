"""Author-defined badges: a badge (its key and lifecycle) and its immutable versions.

Editing a badge adds a version; ``published_version`` names the one detection
evaluates. Draft → published → archived: a draft or an edit awards nothing until
published, and an archived badge awards nothing more (its awards stay).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import JSONType, UTCDateTime, utcnow

BADGE_STATUSES = ("draft", "published", "archived")


class Badge(db.Model):
    __tablename__ = "badges"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    published_version: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(200))
    versions: Mapped[list[BadgeVersion]] = relationship(
        back_populates="badge", order_by="BadgeVersion.version")

    @property
    def latest(self) -> BadgeVersion:
        return self.versions[-1]

    @property
    def published(self) -> BadgeVersion | None:
        return next((v for v in self.versions if v.version == self.published_version), None)


class BadgeVersion(db.Model):
    __tablename__ = "badge_versions"
    __table_args__ = (UniqueConstraint("badge_id", "version", name="uq_badge_versions_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    badge_id: Mapped[int] = mapped_column(ForeignKey("badges.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    criteria: Mapped[dict[str, Any]] = mapped_column(JSONType)
    hidden: Mapped[bool] = mapped_column(default=False)
    expires_after_days: Mapped[int | None] = mapped_column(Integer)
    image: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(200))
    badge: Mapped[Badge] = relationship(back_populates="versions")

"""Images authors uploaded for their badges, stored after sanitizing, keyed by content hash.

Kept in the database (not on a web node's disk) so every process serves the same
bytes; the key is the sha256 of the stored (sanitized) bytes, so uploading the
same file twice stores it once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class BadgeImage(db.Model):
    __tablename__ = "badge_images"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of data
    content_type: Mapped[str] = mapped_column(String(40))  # image/png | image/svg+xml
    data: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(200))

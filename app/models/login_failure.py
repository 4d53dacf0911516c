"""Failed log-ins counted per (email, client address) in a fixed window.

Kept in the database so the embedded default (no Redis) throttles too, and so
every web process shares one count.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime


class LoginFailure(db.Model):
    __tablename__ = "login_failures"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256(email|address)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime())

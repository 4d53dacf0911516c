"""People and the service tokens internal callers use."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, utcnow

LEARNER_ROLE = "learner"
ROLES = (LEARNER_ROLE, "instructor", "admin")
SCOPES = ("progress:write", "achievements:read", "achievements:admin", "badges:write",
          "metrics:read")


def mbox_sha1sum(email: str) -> str:
    """xAPI's ``mbox_sha1sum`` of an address: the SHA-1 of its ``mailto:`` IRI."""
    return hashlib.sha1(f"mailto:{email}".encode()).hexdigest()


def _sha1_of_email(context: Any) -> str:
    return mbox_sha1sum(context.get_current_parameters()["email"])


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # So an xAPI actor known only by mbox_sha1sum finds its learner by index.
    mbox_sha1sum: Mapped[str | None] = mapped_column(String(40), index=True,
                                                     default=_sha1_of_email)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="learner")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    display_name: Mapped[str | None] = mapped_column(String(120))
    # The learner's language (a shipped catalog's code); null follows Accept-Language.
    locale: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ServiceToken(db.Model):
    """Only a token's SHA-256 is stored: tokens are 256-bit random, a slow hash adds nothing."""

    __tablename__ = "service_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())

"""SAML service-provider state kept in the database, so every web process and host agrees:
the SP's key pair (made once when no files are configured) and the requests sent to the
IdP, each answerable once (InResponseTo checked, replays and unsolicited answers refused;
the ACS is a cross-site POST, which carries no session cookie under SameSite=Lax)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class SamlSpKey(db.Model):
    __tablename__ = "saml_sp_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_pem: Mapped[str] = mapped_column(Text)
    cert_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SamlRequest(db.Model):
    __tablename__ = "saml_requests"

    request_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    next_url: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

"""xAPI statements as received, and what each became in the progress stream."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import JSONType, UTCDateTime, utcnow

# A statement's state: its event is recorded (or none is due: a voiding statement, an out of
# range score found late), it waits for its learner or activity to be imported, or it is
# matched and its event not yet recorded (the moment between the two commits; swept).
SETTLED, WAITING, DUE = "settled", "waiting", "due"


class XapiStatement(db.Model):
    """One statement, stored once under its id (the xAPI idempotency key).

    ``body`` is the statement exactly as the client sent it (for ``GET``);
    ``body_hash`` decides whether a repeat of the id is the same statement.
    ``actor_key`` and ``activity_iri`` are what late matching looks for.
    """

    __tablename__ = "xapi_statements"
    __table_args__ = (
        Index("ix_xapi_statements_waiting_actor", "actor_key",
              postgresql_where=text("state <> 'settled'"),
              sqlite_where=text("state <> 'settled'")),
        Index("ix_xapi_statements_waiting_activity", "activity_iri",
              postgresql_where=text("state <> 'settled'"),
              sqlite_where=text("state <> 'settled'")),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # lowercase UUID
    body: Mapped[dict[str, Any]] = mapped_column(JSONType)
    body_hash: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(120))  # the caller, e.g. service:3
    actor_key: Mapped[str | None] = mapped_column(String(300))
    activity_iri: Mapped[str | None] = mapped_column(String(2048))
    state: Mapped[str] = mapped_column(String(16), default=WAITING)
    progress_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("progress_events.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(String(300))  # why a settled one made no event
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

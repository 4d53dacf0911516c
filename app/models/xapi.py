"""xAPI statements as received, and what each became in the progress stream."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, text
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
    ``voided_by`` is the id of the statement voiding this one (it then answers 404 by
    ``statementId`` and 200 by ``voidedStatementId``).
    """

    __tablename__ = "xapi_statements"
    __table_args__ = (
        Index("ix_xapi_statements_waiting_actor", "actor_key",
              postgresql_where=text("state <> 'settled'"),
              sqlite_where=text("state <> 'settled'")),
        Index("ix_xapi_statements_waiting_activity", "activity_iri",
              postgresql_where=text("state <> 'settled'"),
              sqlite_where=text("state <> 'settled'")),
        Index("ix_xapi_statements_stored", "stored_at", "id"),
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
    voided_by: Mapped[str | None] = mapped_column(String(36))


class XapiAttachment(db.Model):
    """An attachment's bytes, stored once under its SHA-2 hash (statements name it by hash).

    Statements sharing a file (a signature differs per statement; a certificate PDF does
    not) share one row; ``GET ?attachments=true`` finds them by the hashes in the statement.
    """

    __tablename__ = "xapi_attachments"

    sha2: Mapped[str] = mapped_column(String(128), primary_key=True)  # lowercase hex
    content_type: Mapped[str] = mapped_column(String(255))
    length: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class XapiStatementKey(db.Model):
    """What statement queries filter on, one row per (statement, key): the SHA-256 of
    ``agent:<ifi>``, ``verb:<iri>``, ``activity:<iri>``, ``registration:<uuid>`` and the
    ``related_`` variants for agents and activities anywhere in it (a hash: IRIs may be
    longer than an index entry may be)."""

    __tablename__ = "xapi_statement_keys"
    __table_args__ = (Index("ix_xapi_statement_keys_key", "key", "statement_id"),)

    statement_id: Mapped[str] = mapped_column(
        ForeignKey("xapi_statements.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)

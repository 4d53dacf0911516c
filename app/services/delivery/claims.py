"""Claiming due notices and recording how their delivery went.

A claim is one short transaction: due rows (and rows whose claim's lease ran out: a
worker died holding them) are locked ``FOR UPDATE SKIP LOCKED``, so relays running at
once take disjoint rows, and marked ``sending`` under a fresh claim token until
``lease_until``. Award emails of one learner that are still inside their coalescing
window join the claim, so the window's awards leave as one email.

Every row gets its ``message_id`` at its first claim and keeps it on every later one:
a message sent again after a crash is the same message (same Message-ID / push Topic).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, Row, Select, Update, and_, bindparam, or_, select, update

from app.extensions import db
from app.models import Notification
from app.models.types import utcnow

MAX_BACKOFF_SECONDS = 600
_ROWS = Notification.__table__


def _held(ids: list[int], token: str) -> Update:
    """An UPDATE of the rows among ``ids`` that the claim ``token`` still holds. On the table
    itself: these rows are never ORM objects here, and SQLAlchemy's ORM-enabled UPDATE spent
    more CPU than the statement did (a ninth of the relay's time per email, py-spy)."""
    return update(_ROWS).where(_ROWS.c.id.in_(ids), _ROWS.c.claim == token)


@dataclass(frozen=True)
class Notice:
    """What sending needs of one claimed row."""

    id: int
    subject_id: int | None
    channel: str
    cause: str
    detail: str | None
    created_at: datetime
    attempts: int
    award_ids: tuple[int, ...]  # an award notice's awards (older rows: its subject alone)


@dataclass
class Message:
    """The rows one email or push carries (several only for coalesced awards)."""

    message_id: str
    user_id: int
    kind: str
    channel: str
    rows: list[Notice]
    lease_until: datetime  # when the claim's hold on these rows ends (renewed by ``hold``)
    ids: list[int] = field(init=False)
    attempts: int = field(init=False)

    def __post_init__(self) -> None:
        self.ids = [row.id for row in self.rows]
        self.attempts = self.rows[0].attempts


# The columns a claim reads: plain rows, not ORM objects. Claiming is most of the relay's
# work when awards come in bursts (a burst's learner has dozens of rows coalescing into one
# email), and loading, tracking and flushing each row as an ORM object cost more CPU than
# the statements did.
_READ = (_ROWS.c.id, _ROWS.c.user_id, _ROWS.c.kind, _ROWS.c.channel, _ROWS.c.cause,
         _ROWS.c.subject_id, _ROWS.c.detail, _ROWS.c.created_at, _ROWS.c.attempts,
         _ROWS.c.message_id, _ROWS.c.award_ids)
_MARK = (update(_ROWS).where(_ROWS.c.id == bindparam("row"))
         .values(status="sending", claim=bindparam("token"), lease_until=bindparam("lease"),
                 attempts=bindparam("tries"), message_id=bindparam("mid")))


def claim(limit: int, domain: str) -> tuple[str, list[Message]]:
    """Claim up to ``limit`` due rows (plus their coalescing partners); commits."""
    now, token = utcnow(), str(uuid.uuid4())
    lease_until = now + timedelta(
        seconds=current_app.config["ACHIEVEMENTS_CONFIG"].NOTIFY_LEASE_SECONDS)
    due = list(db.session.execute(_locked(or_(
        and_(_ROWS.c.status == "pending", _ROWS.c.due_at <= now),
        and_(_ROWS.c.status == "sending", _ROWS.c.lease_until < now))).limit(limit)))
    due += _partners(due)
    if not due:
        db.session.rollback()
        return token, []
    messages = _grouped(due, domain, lease_until)
    db.session.execute(_MARK, [{"row": row.id, "token": token, "lease": lease_until,
                                "tries": row.attempts, "mid": message.message_id}
                               for message in messages for row in message.rows])
    db.session.commit()
    return token, messages


def _locked(condition: ColumnElement[bool]) -> Select[Any]:
    return (select(*_READ).where(condition).order_by(_ROWS.c.due_at, _ROWS.c.id)
            .with_for_update(skip_locked=True))


def _partners(due: list[Row[Any]]) -> list[Row[Any]]:
    """Pending award emails of the claimed learners not yet due: the same window."""
    users = {row.user_id for row in due if row.kind == "award" and row.channel == "email"
             and row.message_id is None}
    if not users:
        return []
    taken = {row.id for row in due}
    rows = db.session.execute(_locked(and_(
        _ROWS.c.status == "pending", _ROWS.c.kind == "award", _ROWS.c.channel == "email",
        _ROWS.c.user_id.in_(users))))
    return [row for row in rows if row.id not in taken]


def _grouped(rows: list[Row[Any]], domain: str, lease_until: datetime) -> list[Message]:
    """One message per kept ``message_id``; new award rows of a learner and channel share
    one, every other new row gets its own. Each row counts this claim as an attempt."""
    groups: dict[str, list[Row[Any]]] = defaultdict(list)
    fresh: dict[tuple[int, str], str] = {}
    for row in sorted(rows, key=lambda r: r.id):
        mid = row.message_id
        if mid is None:
            key = (row.user_id, row.channel) if row.kind == "award" else None
            mid = fresh.get(key) if key else None
            if mid is None:
                mid = f"<n{row.id}.{row.channel}.{row.user_id}@{domain}>"
                if key:
                    fresh[key] = mid
        groups[mid].append(row)
    return [Message(mid, rs[0].user_id, rs[0].kind, rs[0].channel, [_notice(r) for r in rs],
                    lease_until) for mid, rs in groups.items()]


def _notice(row: Row[Any]) -> Notice:
    """The row as sent by this claim (its attempts counting this one)."""
    awards = tuple(row.award_ids or ([row.subject_id] if row.subject_id else []))
    return Notice(row.id, row.subject_id, row.channel, row.cause, row.detail, row.created_at,
                  row.attempts + 1, awards)


def hold(message: Message, token: str) -> bool:
    """Whether this claim still holds the message's rows, with at least half a lease left to
    send it. A long batch on a slow box would otherwise send a message whose lease ran out
    while the ones before it went, after another relay re-claimed and sent it too: past
    half-time the lease is renewed, only while it still runs (commits)."""
    lease = current_app.config["ACHIEVEMENTS_CONFIG"].NOTIFY_LEASE_SECONDS
    now = utcnow()
    if now < message.lease_until - timedelta(seconds=lease / 2):
        return True
    renewed = now + timedelta(seconds=lease)
    result = db.session.execute(_held(message.ids, token).where(_ROWS.c.lease_until > now)
                                .values(lease_until=renewed))
    db.session.commit()
    message.lease_until = renewed
    return result.rowcount == len(message.ids)  # type: ignore[attr-defined]


def finish(ids: list[int], token: str, status: str, error: str | None = None) -> None:
    """Record the outcome (sent, skipped, failed) of rows this claim still holds; commits."""
    now = utcnow()
    db.session.execute(_held(ids, token).values(
        status=status, sent_at=now if status == "sent" else None, lease_until=None,
        last_error=error))
    db.session.commit()


def release(ids: list[int], token: str, error: str, attempts: int) -> None:
    """Give rows back to wait and be tried again (the SMTP server is down, say): never
    lost, due again after a backoff that doubles up to ``MAX_BACKOFF_SECONDS``."""
    wait = min(2 ** max(attempts, 1), MAX_BACKOFF_SECONDS)
    db.session.execute(_held(ids, token).values(
        status="pending", lease_until=None, last_error=error[:1000],
        due_at=utcnow() + timedelta(seconds=wait)))
    db.session.commit()

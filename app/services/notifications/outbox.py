"""Writing notices into the outbox, inside the transaction of their cause.

Callers (storing awards, revoking, restoring, the reminder scan) call these before
their commit: the cause and its notices commit together, and the unique
``(cause, channel, user_id)`` makes a repeated cause insert nothing. Rows are written
only for channels that can deliver (email configured; a push subscription exists) and
that the learner has not switched off; the relay checks the switches again at send
time, so a change of mind in between wins.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, func, literal, or_, select, true, union_all

from app.extensions import db
from app.infra.bulk import Channel, insert_notices_pg
from app.infra.inserts import insert_ignore_stmt
from app.infra.mail import mail_sender
from app.infra.sql import on_postgresql
from app.models import Notification, PushSubscription
from app.models.types import utcnow
from app.services.notifications.kick import kick, note_written
from app.services.notifications.preferences import (
    CATEGORY_OF,
    declined_among,
    default,
    switches_of,
)


@dataclass(frozen=True)
class Cause:
    """One thing to tell one learner: ``cause`` is unique per learner and channel."""

    user_id: int
    kind: str
    cause: str
    subject_id: int | None = None
    detail: str | None = None
    award_ids: tuple[int, ...] | None = None  # an award notice's awards

    def award_id_list(self) -> list[int] | None:
        """The ``award_ids`` column's value (a JSON list), both inserts."""
        return list(self.award_ids) if self.award_ids else None


def queue_awards(awards: Iterable[Any]) -> int:
    """Award notices for newly stored awards (rows with ``id`` and ``user_id``): one per
    learner, naming all of theirs (a backlog's detection pass stores dozens a learner, and
    a row each cost the pass a tenth of its time, claimed and marked twice more by the
    relay). Its cause is its first award, stored once with it. Email is due after the
    coalescing window, so awards close together make one email."""
    ids: dict[int, list[int]] = defaultdict(list)
    for award in sorted(awards, key=lambda a: a.id):
        ids[award.user_id].append(award.id)
    return queue([Cause(user_id, "award", f"award:{mine[0]}", mine[0], award_ids=tuple(mine))
                  for user_id, mine in ids.items()], email_delay=coalesce_seconds())


def queue_changes(changes: Sequence[tuple[int, int, str, int, str | None]]) -> int:
    """Revoked/restored notices: ``(user_id, change id, kind, award id, reason)``."""
    return queue([Cause(user_id, kind, f"change:{change_id}", award_id, reason)
                  for user_id, change_id, kind, award_id, reason in changes])


def queue(causes: Sequence[Cause], email_delay: float = 0.0,
          due: datetime | None = None) -> int:
    """Insert a row per cause and channel the learner wants and can receive (causes of one
    category); returns how many were new. On PostgreSQL the insert chooses the channels
    itself, in the same round trip (:func:`app.infra.bulk.insert_notices_pg`)."""
    if not causes:
        return 0
    now = due or utcnow()
    email_due = now + timedelta(seconds=email_delay)
    category = CATEGORY_OF[causes[0].kind]
    offered = _offered(category)
    if on_postgresql():
        wanted, written = insert_notices_pg(
            [(c.user_id, c.kind, c.cause, c.subject_id, c.detail, c.award_id_list())
             for c in causes],
            category, offered, now, email_due)
    else:
        wanted, written = _insert_portable(causes, category, offered, now, email_due)
    if wanted:
        note_written()
    return written


def coalesce_seconds() -> float:
    """The award email's window; none when tasks run eagerly (no beat comes back later)."""
    settings = current_app.config["ACHIEVEMENTS_CONFIG"]
    return 0.0 if settings.tasks_eager else float(settings.NOTIFY_COALESCE_SECONDS)


def email_enabled() -> bool:
    return mail_sender(current_app.config["ACHIEVEMENTS_CONFIG"]) is not None


def _offered(category: str) -> list[Channel]:
    """The channels that can deliver (email: a sender is configured; push: to learners with
    a subscription), each with its default for the category."""
    email = [("email", default(category, "email"), False)] if email_enabled() else []
    return [*email, ("push", default(category, "push"), True)]


_SUBSCRIBED = "push subscription"  # a look-up row that is no switch


def _insert_portable(causes: Sequence[Cause], category: str, offered: Sequence[Channel],
                     now: datetime, email_due: datetime) -> tuple[int, int]:
    """Other databases: the channels read first (:func:`_channels`), then the insert.
    Returns how many rows were wanted and how many went in."""
    channels = _channels(causes, category, offered)
    rows = [_row(c, channel, now, email_due) for c in causes
            for channel in channels.get(c.user_id, ())]
    if not rows:
        return 0, 0
    result = db.session.execute(insert_ignore_stmt(Notification.__table__,
                                                   ["cause", "channel", "user_id"]), rows)
    return len(rows), max(result.rowcount or 0, 0)


def _channels(causes: Sequence[Cause], category: str,
              offered: Sequence[Channel]) -> dict[int, tuple[str, ...]]:
    """Per learner, the offered channels worth a row: switched on (or on by default) and, for
    one that needs a subscription, subscribed. One statement reads switches and
    subscriptions."""
    users = sorted({c.user_id for c in causes})
    subscribed = (select(PushSubscription.user_id, literal(_SUBSCRIBED), true())
                  .where(PushSubscription.user_id.in_(users)).distinct())
    rows = db.session.execute(union_all(switches_of(users, category), subscribed)).all()
    pushable = {row[0] for row in rows if row[1] == _SUBSCRIBED}
    off = declined_among([row for row in rows if row[1] != _SUBSCRIBED], users, category)
    return {user_id: tuple(name for name, _, needs_subscription in offered
                           if (user_id in pushable or not needs_subscription)
                           and (user_id, name) not in off) for user_id in users}


def _row(cause: Cause, channel: str, now: datetime, email_due: datetime) -> dict[str, Any]:
    """One notice of the portable insert (the columns :func:`insert_notices_pg` writes)."""
    return {"user_id": cause.user_id, "kind": cause.kind, "channel": channel,
            "cause": cause.cause, "subject_id": cause.subject_id, "detail": cause.detail,
            "award_ids": cause.award_id_list(),
            "status": "pending", "due_at": email_due if channel == "email" else now,
            "attempts": 0, "created_at": now}


def requeue_stuck(age_seconds: float) -> int:
    """The sweep's net under the relay: notices due for over ``age_seconds``, or claimed
    by a worker whose lease ran out, get a relay task now. Returns how many there were."""
    now = utcnow()
    stuck = db.session.scalar(select(func.count()).select_from(Notification).where(or_(
        and_(Notification.status == "pending",
             Notification.due_at < now - timedelta(seconds=age_seconds)),
        and_(Notification.status == "sending", Notification.lease_until < now)))) or 0
    db.session.remove()  # hold no transaction while talking to the broker
    if stuck:
        kick(force=True)
    return int(stuck)

"""Late matching: a stored statement waits for its learner or activity, then becomes its event.

Called after a learner is created (``app.services.accounts.users``) and after a
catalog import (``app.services.catalog.importer``); the outbox sweep also
records statements left ``due`` by a crash between their two commits. Every
path ends in :func:`app.services.xapi.plan.record_events`, whose idempotency
key (the statement id) makes the event exactly once however often it runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from app.domain.xapi import default_iri, learner_keys, occurred_at
from app.extensions import db
from app.models.types import utcnow
from app.models.xapi import DUE, SETTLED, WAITING, XapiStatement
from app.services.xapi.lookup import activities, learners, public_url
from app.services.xapi.plan import Pending, plan_stored, record_events

CHUNK = 500


def match_learner(user_id: int, email: str, sha1: str | None) -> int:
    """Record what a new learner's waiting statements make; how many statements settled."""
    keys = learner_keys(user_id, email, sha1)
    return _settle(select(XapiStatement).where(XapiStatement.state == WAITING,
                                               XapiStatement.actor_key.in_(keys)))


def match_activities(entries: Iterable[tuple[str, str, str | None]]) -> int:
    """After an import: entries are ``(kind, key, activity_id)``; how many statements settled."""
    iris = sorted({iri for kind, key, own in entries
                   for iri in (default_iri(public_url(), kind, key), own) if iri})
    settled = 0
    for start in range(0, len(iris), CHUNK):
        settled += _settle(select(XapiStatement).where(
            XapiStatement.state == WAITING,
            XapiStatement.activity_iri.in_(iris[start:start + CHUNK])))
    return settled


def record_due(age_seconds: float) -> int:
    """Statements matched but not recorded for ``age_seconds`` (a crash between commits)."""
    cutoff = utcnow() - timedelta(seconds=age_seconds)
    return _settle(select(XapiStatement).where(XapiStatement.state == DUE,
                                               XapiStatement.stored_at < cutoff))


def _settle(query: Any) -> int:
    rows = list(db.session.scalars(query.order_by(XapiStatement.stored_at).limit(CHUNK)))
    pending, nothing = [], []
    for row, step in plan_stored(rows):
        if step.state == DUE:
            assert step.user_id is not None and step.event is not None
            when = occurred_at(row.body) or row.stored_at
            pending.append(Pending(row.id, row.source, when, step.user_id, step.event))
        elif step.state == SETTLED:
            nothing.append({"id": row.id, "state": SETTLED, "note": step.note})
    if nothing:
        db.session.execute(update(XapiStatement), nothing)
        db.session.commit()
    record_events(pending)
    return len(pending) + len(nothing)


@dataclass(frozen=True)
class Unmatched:
    id: str
    stored_at: datetime
    waiting_for: str  # "learner", "activity" or both, or "recording" (due)
    actor_key: str | None
    activity_iri: str | None


def unmatched(limit: int = 1000) -> list[Unmatched]:
    """Statements stored without their event yet, oldest first, and what each waits for."""
    rows = list(db.session.scalars(
        select(XapiStatement).where(XapiStatement.state != SETTLED)
        .order_by(XapiStatement.stored_at, XapiStatement.id).limit(limit)))
    users = learners(row.actor_key for row in rows)
    found = activities(row.activity_iri for row in rows)
    return [Unmatched(row.id, row.stored_at, _waiting_for(row, users, found), row.actor_key,
                      row.activity_iri) for row in rows]


def _waiting_for(row: XapiStatement, users: dict[str, int], found: dict[str, Any]) -> str:
    if row.state == DUE:
        return "recording"
    missing = [what for what, known in (("learner", (row.actor_key or "") in users),
                                        ("activity", not row.activity_iri
                                         or row.activity_iri in found)) if not known]
    return " and ".join(missing) or "matching"

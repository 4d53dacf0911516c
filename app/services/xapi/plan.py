"""What a statement becomes now: an event due for a learner, a wait, or nothing.

Shared by ingestion and late matching, so a statement matched when its
learner is created becomes exactly the event it would have become had the
learner existed when it arrived.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update

from app.domain.progress import ProgressInput
from app.domain.xapi import Activity, EventDue, activity_iri, actor_key, event_due
from app.errors import DomainError
from app.extensions import db
from app.models.xapi import DUE, SETTLED, WAITING, XapiStatement
from app.services.recording import RecordResult, record_many
from app.services.xapi.lookup import activities, learners, public_url

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Plan:
    state: str
    user_id: int | None = None
    event: EventDue | None = None
    note: str | None = None


@dataclass(frozen=True)
class Pending:
    """A stored statement whose event is due: what recording it needs."""

    id: str
    source: str
    occurred_at: datetime
    user_id: int
    event: EventDue


def keys_of(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """``(actor key, activity IRI)`` of a statement (None where there is nothing to find)."""
    return actor_key(body["actor"], public_url()), activity_iri(body)


def plan(body: dict[str, Any], user_id: int | None, iri: str | None,
         found: dict[str, Activity]) -> Plan:
    """Raises StatementError for a score the (known) assessment cannot hold."""
    activity = found.get(iri) if iri else None
    if iri is not None and activity is None:
        return Plan(WAITING)
    event = event_due(body, activity)
    if user_id is None:
        return Plan(WAITING)
    if event is None:
        return Plan(SETTLED, note="a voiding statement makes no event")
    return Plan(DUE, user_id, event)


def plan_stored(rows: list[XapiStatement]) -> list[tuple[XapiStatement, Plan]]:
    """Plans for stored statements, their learners and activities looked up in one go.

    A statement that can no longer be recorded (a score out of range of an
    assessment imported since) is settled with a note, never raised.
    """
    users = learners(row.actor_key for row in rows)
    found = activities(row.activity_iri for row in rows)
    planned = []
    for row in rows:
        try:
            step = plan(row.body, users.get(row.actor_key or ""), row.activity_iri, found)
        except ValueError as exc:
            step = Plan(SETTLED, note=str(exc)[:300])
        planned.append((row, step))
    return planned


def record_events(pending: list[Pending]) -> None:
    """Record the due events through the one write path (in bulk: one statement and one
    detection task per learner), then mark the statements settled.

    The statement id is the event's idempotency key, so running this twice for a
    statement (a sweep racing a late match) still makes one event.
    """
    outcomes = record_many([_input(item) for item in pending])
    settled = [_settled(item, outcome) for item, outcome in zip(pending, outcomes, strict=True)]
    if settled:
        db.session.execute(update(XapiStatement), settled)
        db.session.commit()


def _input(item: Pending) -> ProgressInput:
    event = item.event
    return ProgressInput(
        user_id=item.user_id, kind=event.kind, occurred_at=item.occurred_at,
        idempotency_key=f"xapi:{item.id}", module=event.module, assessment=event.assessment,
        score=event.score, source=f"xapi:{item.source}")


def _settled(item: Pending, outcome: RecordResult | DomainError) -> dict[str, Any]:
    if isinstance(outcome, DomainError):  # the learner or entry vanished since it was matched
        log.warning("xAPI statement %s made no event: %s", item.id, outcome.detail)
        return {"id": item.id, "state": SETTLED, "progress_event_id": None,
                "note": outcome.detail[:300]}
    return {"id": item.id, "state": SETTLED, "progress_event_id": outcome.event.id,
            "note": None}

"""Voiding (xAPI 1.0.3, Data 2.3.2): a ``voided`` statement whose object is a StatementRef
voids its target, which then answers 404 by ``statementId`` and 200 by
``voidedStatementId``. A voiding statement cannot be voided, and a caller voids only
statements it stored itself (voiding withdraws progress: one LMS cannot undo another's).

What the voided statement became is withdrawn only while nothing rests on it: awards are
never revoked automatically (DESIGN.md), so an event that produced an award stays, and
so does one detection has not looked at yet (it may be producing one right now). A
withdrawn event is deleted with the facts it added (a module completion, an assessment
attempt); a module completion it held is handed to the learner's next completion of that
module, if any. A statement still waiting for its learner or activity is settled: it will
never become an event.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, exists, select, update

from app.domain.xapi import VOIDED
from app.extensions import db
from app.models import Achievement, AssessmentAttempt, ModuleCompletion, ProgressEvent
from app.models.xapi import SETTLED, XapiStatement

WITHDRAWN = "voided; its progress event was withdrawn"
KEPT_AWARD = "voided; its progress event stays: it had produced an award"
KEPT_PENDING = "voided; its progress event stays: detection had not finished with it"
NEVER = "voided before it became a progress event"


def voids(statement: dict[str, Any]) -> str | None:
    """The id a voiding statement targets (lowercase), else None."""
    if statement["verb"]["id"] != VOIDED:
        return None
    return str(statement["object"]["id"]).lower()


def mark_voided(targets: dict[str, str], source: str) -> set[str]:
    """Void each target ``{target id: voiding id}`` that ``source`` stored, not itself a
    voiding statement and not voided yet (in the caller's transaction); the ids voided now."""
    if not targets:
        return set()
    rows = db.session.execute(select(XapiStatement.id, XapiStatement.body, XapiStatement.state,
                                     XapiStatement.voided_by)
                              .where(XapiStatement.id.in_(list(targets)),
                                     XapiStatement.source == source))
    voided = set()
    for ident, body, state, voided_by in rows:
        if voided_by is not None or body["verb"]["id"] == VOIDED:
            continue
        values: dict[str, Any] = {"voided_by": targets[ident]}
        if state != SETTLED:
            values.update(state=SETTLED, note=NEVER)
        db.session.execute(update(XapiStatement).where(XapiStatement.id == ident).values(values))
        voided.add(ident)
    return voided


def withdraw_events(statement_ids: set[str]) -> None:
    """Withdraw the progress events of newly voided statements where nothing rests on them."""
    if not statement_ids:
        return
    rows = db.session.execute(select(XapiStatement.id, XapiStatement.progress_event_id)
                              .where(XapiStatement.id.in_(statement_ids),
                                     XapiStatement.progress_event_id.is_not(None))).all()
    for ident, event_id in rows:
        note = _withdraw(event_id)
        db.session.execute(update(XapiStatement).where(XapiStatement.id == ident).values(
            note=note, progress_event_id=None if note == WITHDRAWN else event_id))
    db.session.commit()


def _withdraw(event_id: int) -> str:
    event = db.session.get(ProgressEvent, event_id, with_for_update=True)
    if event is None:
        return WITHDRAWN
    if event.processed_at is None:
        return KEPT_PENDING
    if db.session.scalar(select(exists().where(Achievement.source_event_id == event_id))):
        return KEPT_AWARD
    held = db.session.scalars(select(ModuleCompletion).where(
        ModuleCompletion.event_id == event_id)).all()
    db.session.execute(delete(AssessmentAttempt).where(AssessmentAttempt.event_id == event_id))
    for completion in held:
        _hand_over(completion, event)
    db.session.execute(delete(ProgressEvent).where(ProgressEvent.id == event_id))
    return WITHDRAWN


def _hand_over(completion: ModuleCompletion, event: ProgressEvent) -> None:
    """Keep the module complete if another event completed it too (the earliest of them)."""
    others = db.session.scalars(
        select(ProgressEvent).where(ProgressEvent.user_id == event.user_id,
                                    ProgressEvent.kind == "module_completed",
                                    ProgressEvent.id != event.id)
        .order_by(ProgressEvent.occurred_at, ProgressEvent.id)).all()
    module = event.payload.get("module")
    successor = next((other for other in others if other.payload.get("module") == module), None)
    if successor is None:
        db.session.delete(completion)
    else:
        completion.event_id = successor.id
        completion.completed_at = successor.occurred_at

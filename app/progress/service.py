"""Record a progress event and its facts in one transaction, then enqueue detection.

The event row is the outbox: it is committed with the progress facts, and the
detection task is enqueued only after that commit. If the enqueue is lost
(broker down, process killed) the row stays unprocessed and the outbox sweep
enqueues it later, so every recorded event is evaluated at least once.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.errors import Conflict
from app.extensions import db
from app.models import AssessmentAttempt, ModuleCompletion, ProgressEvent
from app.models.types import utcnow
from app.progress.dispatch import enqueue_evaluation
from app.progress.facts import ResolvedInput, check_user_id, resolve
from app.progress.inserts import insert_ignore, insert_ignore_returning

log = logging.getLogger(__name__)
EVENT_COLUMNS = [c.key for c in ProgressEvent.__table__.columns if c.key != "id"]


@dataclass(frozen=True)
class ProgressInput:
    """A progress event as a caller submits it, before validation."""

    user_id: int
    kind: str
    occurred_at: datetime | None
    idempotency_key: str
    module: str | None = None
    assessment: str | None = None
    score: float | None = None
    source: str = "api"

    def fingerprint(self) -> str:
        """Hash of the fields that define "the same request" for idempotency."""
        body = {k: getattr(self, k) for k in ("user_id", "kind", "module", "assessment", "score")}
        body["occurred_at"] = self.occurred_at.isoformat() if self.occurred_at else None
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class RecordResult:
    event: ProgressEvent
    created: bool


def record_progress(data: ProgressInput) -> RecordResult:
    """Store the event once per (learner, caller, key); replays return the first event.

    ``source`` is the caller's identity, so idempotency keys of different callers never collide.
    """
    check_user_id(data.user_id)
    resolved = resolve(data)
    event = _store(data, resolved)
    if event is None:  # the key was taken, maybe by a concurrent duplicate that just won
        return RecordResult(_replayed(data), created=False)
    enqueue_evaluation(event.id, event.user_id)
    return RecordResult(event, created=True)


def _replayed(data: ProgressInput) -> ProgressEvent:
    event = db.session.scalar(
        select(ProgressEvent).where(
            ProgressEvent.user_id == data.user_id,
            ProgressEvent.source == data.source,
            ProgressEvent.idempotency_key == data.idempotency_key,
        )
    )
    if event is None:  # ON CONFLICT waited for the holder of the key, which committed it
        raise RuntimeError(f"idempotency key {data.idempotency_key!r} conflicted but is missing")
    if event.request_hash != data.fingerprint():
        raise Conflict(
            f"idempotency key {data.idempotency_key!r} was already used with a different body"
        )
    return event


def _store(data: ProgressInput, resolved: ResolvedInput) -> ProgressEvent | None:
    """Insert the event and its fact and commit; None (nothing stored) if the key was used.

    One ``INSERT ... ON CONFLICT DO NOTHING RETURNING id`` both claims the key
    and stores the row, so a new event costs no look-up first. The returned
    event is never attached to the session, so reading it after the commit
    costs no reload.
    """
    event = ProgressEvent(
        user_id=data.user_id, kind=data.kind, payload=resolved.payload,
        idempotency_key=data.idempotency_key, request_hash=data.fingerprint(),
        source=data.source, occurred_at=resolved.occurred_at, recorded_at=utcnow(),
        processed_at=None, attempts=0,
    )
    row = {key: getattr(event, key) for key in EVENT_COLUMNS}
    event.id = insert_ignore_returning(ProgressEvent, ["user_id", "source", "idempotency_key"],
                                       row, "id")
    if event.id is None:
        db.session.rollback()
        return None
    _store_fact(event, resolved)
    db.session.commit()
    return event


def _store_fact(event: ProgressEvent, resolved: ResolvedInput) -> None:
    if resolved.module_id is not None:
        insert_ignore(ModuleCompletion, ["user_id", "module_id"], {
            "user_id": event.user_id, "module_id": resolved.module_id,
            "completed_at": event.occurred_at, "event_id": event.id,
        })
    elif resolved.assessment_id is not None:
        db.session.add(AssessmentAttempt(
            user_id=event.user_id, assessment_id=resolved.assessment_id,
            score=resolved.score, occurred_at=event.occurred_at, event_id=event.id,
        ))


def event_as_dict(event: ProgressEvent) -> dict[str, Any]:
    """The event as every transport shows it."""
    return {
        "id": event.id,
        "user_id": event.user_id,
        "kind": event.kind,
        **event.payload,
        "occurred_at": event.occurred_at,
        "recorded_at": event.recorded_at,
        "idempotency_key": event.idempotency_key,
    }

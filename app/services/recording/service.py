"""Record a progress event and its facts in one transaction, then enqueue detection.

The event row is the outbox: it is committed with the progress facts, and the
detection task is enqueued only after that commit. If the enqueue is lost
(broker down, process killed) the row stays unprocessed and the outbox sweep
enqueues it later, so every recorded event is evaluated at least once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app.domain.progress import ProgressInput
from app.errors import Conflict
from app.extensions import db
from app.infra import context
from app.infra.metrics import record as metrics
from app.models import ProgressEvent
from app.models.types import utcnow
from app.services.recording.dispatch import enqueue_evaluation
from app.services.recording.facts import ResolvedInput, check_user_id, resolve
from app.services.recording.store import store_event

log = logging.getLogger(__name__)


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
    event = new_event(data, resolved)
    event.id = store_event(event, resolved)
    if event.id is None:  # the key was taken, maybe by a concurrent duplicate that just won
        return recorded(RecordResult(replayed(data), created=False))
    enqueue_evaluation(event.id, event.user_id)
    return recorded(RecordResult(event, created=True))


def recorded(result: RecordResult) -> RecordResult:
    """Count and log a recording's outcome (every path that records calls this)."""
    event = result.event
    metrics.progress_received(event.kind, result.created)
    log.info("progress event %s", "recorded" if result.created else "replayed",
             extra={"event_id": event.id, "user_id": event.user_id, "kind": event.kind})
    return result


def replayed(data: ProgressInput) -> ProgressEvent:
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


def new_event(data: ProgressInput, resolved: ResolvedInput) -> ProgressEvent:
    """The event to store; never added to a session, so reading it later costs no reload."""
    return ProgressEvent(
        user_id=data.user_id, kind=data.kind, payload=resolved.payload,
        idempotency_key=data.idempotency_key, request_hash=data.fingerprint(),
        source=data.source, occurred_at=resolved.occurred_at, recorded_at=utcnow(),
        processed_at=None, attempts=0, request_id=context.request_id.get(),
    )


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

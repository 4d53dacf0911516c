"""Record progress events and their facts in one transaction, then enqueue detection.

One flow for one event (REST, gRPC, pages: :func:`record_progress`) and for many (an
xAPI statement array: :func:`record_many`): each event is validated on its own and
answered on its own (a result, or the domain error it met); the new ones are stored
together by one statement (:mod:`app.infra.event_rows`), and detection is enqueued once
per learner afterwards (a learner's task evaluates all their pending events). A key
repeated within a batch is answered as a replay.

The event row is the outbox: it is committed with the progress facts, and the
detection task is enqueued only after that commit. If the enqueue is lost
(broker down, process killed) the row stays unprocessed and the outbox sweep
enqueues it later, so every recorded event is evaluated at least once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app.domain.progress import ProgressInput
from app.errors import Conflict, DomainError
from app.extensions import db
from app.infra import context
from app.infra.event_rows import Stored
from app.infra.metrics import record as metrics
from app.models import ProgressEvent
from app.models.types import utcnow
from app.services.recording.dispatch import enqueue_evaluation
from app.services.recording.facts import (
    CheckedInput,
    check,
    check_user_id,
    refused,
    unknown_user,
)
from app.services.recording.store import store_events

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecordResult:
    event: ProgressEvent
    created: bool


@dataclass(frozen=True)
class _Prepared:
    index: int
    data: ProgressInput
    event: ProgressEvent
    checked: CheckedInput


def record_progress(data: ProgressInput) -> RecordResult:
    """Store the event once per (learner, caller, key); replays return the first event.

    ``source`` is the caller's identity, so idempotency keys of different callers never
    collide. Raises the domain error of an invalid event, storing nothing.
    """
    outcome = record_many([data])[0]
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome


def record_many(items: Sequence[ProgressInput]) -> list[RecordResult | DomainError]:
    """:func:`record_progress` for each item, in order, stored and enqueued together."""
    outcomes: list[RecordResult | DomainError | None] = [None] * len(items)
    prepared = _prepare(items, outcomes)
    stored = store_events([(p.event, p.checked) for p in prepared]) if prepared else []
    for item, row in zip(prepared, stored, strict=True):
        outcomes[item.index] = _stored(item, row)
    for index, data in enumerate(items):
        if outcomes[index] is None:  # a key repeated in the batch, or taken before
            outcomes[index] = _replay(data)
    results = [o for o in outcomes if isinstance(o, RecordResult)]
    _enqueue([result for result in results if result.created])
    for result in results:
        recorded(result)
    return [o for o in outcomes if o is not None]


def _prepare(items: Sequence[ProgressInput],
             outcomes: list[RecordResult | DomainError | None]) -> list[_Prepared]:
    """Validate every item; the first of each key is stored, repeats left to replay."""
    seen: set[tuple[int, str, str]] = set()
    prepared = []
    for index, data in enumerate(items):
        key = (data.user_id, data.source, data.idempotency_key)
        if key in seen:
            continue
        try:
            check_user_id(data.user_id)
            checked = check(data)
        except DomainError as exc:
            outcomes[index] = exc
            continue
        seen.add(key)
        prepared.append(_Prepared(index, data, new_event(data, checked), checked))
    return prepared


def _stored(item: _Prepared, stored: Stored) -> RecordResult | DomainError | None:
    """The answer for a row sent to be stored: what the catalog refused, else an unknown
    learner, else None (a replay, answered after) when the key was taken, maybe by a
    concurrent duplicate that just won."""
    if stored.fault is not None:
        return refused(stored.fault, item.data, stored.max_score)
    if stored.learner is None:
        return unknown_user(item.data.user_id)
    if stored.event_id is None:
        return None
    item.event.id = stored.event_id
    return RecordResult(item.event, created=True)


def _replay(data: ProgressInput) -> RecordResult | DomainError:
    try:
        return RecordResult(replayed(data), created=False)
    except DomainError as exc:
        return exc


def _enqueue(created: list[RecordResult]) -> None:
    """One detection task per learner, for their first new event: it settles the rest."""
    first: dict[int, int] = {}
    for result in created:
        first.setdefault(result.event.user_id, result.event.id)
    for user_id, event_id in first.items():
        enqueue_evaluation(event_id, user_id)


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


def new_event(data: ProgressInput, checked: CheckedInput) -> ProgressEvent:
    """The event to store; never added to a session, so reading it later costs no reload."""
    return ProgressEvent(
        user_id=data.user_id, kind=data.kind, payload=checked.payload,
        idempotency_key=data.idempotency_key, request_hash=data.fingerprint(),
        source=data.source, occurred_at=checked.occurred_at, recorded_at=utcnow(),
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

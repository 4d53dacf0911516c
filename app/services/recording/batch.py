"""Record many progress events of one caller at once (an xAPI statement array).

Each event is validated on its own, exactly as :func:`record_progress` does, and
answered on its own (a result, or the domain error it met); the new ones are
stored together — one statement on PostgreSQL — and detection is enqueued once
per learner afterwards rather than once per event (a learner's task evaluates all
their pending events). A key repeated within the batch is answered as a replay.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.domain.progress import ProgressInput
from app.errors import DomainError
from app.models import ProgressEvent
from app.services.recording.dispatch import enqueue_evaluation
from app.services.recording.facts import ResolvedInput, check_user_id, resolve, unknown_user
from app.services.recording.service import RecordResult, new_event, recorded, replayed
from app.services.recording.store import store_events

Outcome = RecordResult | DomainError


@dataclass(frozen=True)
class _Prepared:
    index: int
    data: ProgressInput
    event: ProgressEvent
    resolved: ResolvedInput


def record_many(items: Sequence[ProgressInput]) -> list[Outcome]:
    """:func:`record_progress` for each item, in order, stored and enqueued in bulk."""
    outcomes: list[Outcome | None] = [None] * len(items)
    prepared = _prepare(items, outcomes)
    stored = store_events([(p.event, p.resolved) for p in prepared])
    for item, (learner, event_id) in zip(prepared, stored, strict=True):
        outcomes[item.index] = _stored(item, learner, event_id)
    for index, data in enumerate(items):
        if outcomes[index] is None:
            outcomes[index] = _replay(data)
    results = [o for o in outcomes if isinstance(o, RecordResult)]
    _enqueue([result for result in results if result.created])
    for result in results:
        recorded(result)
    return [o for o in outcomes if o is not None]


def _prepare(items: Sequence[ProgressInput], outcomes: list[Outcome | None]
             ) -> list[_Prepared]:
    """Validate every item; the first of each key is stored, repeats left to replay."""
    seen: set[tuple[int, str, str]] = set()
    prepared = []
    for index, data in enumerate(items):
        key = (data.user_id, data.source, data.idempotency_key)
        if key in seen:
            continue
        try:
            check_user_id(data.user_id)
            resolved = resolve(data)
        except DomainError as exc:
            outcomes[index] = exc
            continue
        seen.add(key)
        prepared.append(_Prepared(index, data, new_event(data, resolved), resolved))
    return prepared


def _stored(item: _Prepared, learner: int | None, event_id: int | None) -> Outcome:
    if learner is None:
        return unknown_user(item.data.user_id)
    if event_id is None:
        return _replay(item.data)
    item.event.id = event_id
    return RecordResult(item.event, created=True)


def _replay(data: ProgressInput) -> Outcome:
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

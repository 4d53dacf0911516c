"""Store a progress event with its fact, atomically, once per (learner, caller, key).

``ON CONFLICT DO NOTHING`` claims the key and stores the row in one step, so a
new event costs no look-up first. How the rows are written on each database is
:mod:`app.infra.event_rows`; this module only maps the event to rows and the
answer to the domain's errors.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.infra.event_rows import EVENT_COLUMNS, insert_event_with_fact, insert_events_with_facts
from app.models import ProgressEvent
from app.services.recording.facts import ResolvedInput, unknown_user


def store_event(event: ProgressEvent, resolved: ResolvedInput) -> int | None:
    """Store ``event`` (not yet added to a session) and its fact; the new id, or None
    (nothing stored) if the learner already has an event under this caller's key.

    Raises NotFound, storing nothing, when the learner does not exist.
    """
    learner, event_id = insert_event_with_fact(*_rows(event, resolved))
    if learner is None:
        raise unknown_user(event.user_id)
    return event_id


def store_events(items: Sequence[tuple[ProgressEvent, ResolvedInput]]
                 ) -> list[tuple[int | None, int | None]]:
    """:func:`store_event` for many events of distinct keys: ``(learner id, new event id)``
    each, the learner id None for an unknown learner (nothing stored for that one)."""
    return insert_events_with_facts([_rows(event, resolved) for event, resolved in items])


def _rows(event: ProgressEvent, resolved: ResolvedInput) -> tuple[dict, dict]:
    row = {key: getattr(event, key) for key in EVENT_COLUMNS}
    fact = {"module_id": resolved.module_id, "assessment_id": resolved.assessment_id,
            "score": resolved.score}
    return row, fact

"""Store a progress event with its fact, atomically, once per (learner, caller, key).

``ON CONFLICT DO NOTHING`` claims the key and stores the row in one step, so a
new event costs no look-up first. How the rows are written on each database is
:mod:`app.infra.event_rows`; this module only maps the event to rows and the
answer to the domain's errors.
"""

from __future__ import annotations

from app.infra.event_rows import EVENT_COLUMNS, insert_event_with_fact
from app.models import ProgressEvent
from app.services.recording.facts import ResolvedInput, unknown_user


def store_event(event: ProgressEvent, resolved: ResolvedInput) -> int | None:
    """Store ``event`` (not yet added to a session) and its fact; the new id, or None
    (nothing stored) if the learner already has an event under this caller's key.

    Raises NotFound, storing nothing, when the learner does not exist.
    """
    row = {key: getattr(event, key) for key in EVENT_COLUMNS}
    fact = {"module_id": resolved.module_id, "assessment_id": resolved.assessment_id,
            "score": resolved.score}
    learner, event_id = insert_event_with_fact(row, fact)
    if learner is None:
        raise unknown_user(event.user_id)
    return event_id

"""Store progress events with their facts, atomically, once per (learner, caller, key).

``ON CONFLICT DO NOTHING`` claims the key and stores the row in one step, so a
new event costs no look-up first. How the rows are written on each database is
:mod:`app.infra.event_rows`; this module only maps the events to rows.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.infra.event_rows import EVENT_COLUMNS, insert_events_with_facts
from app.models import ProgressEvent
from app.services.recording.facts import ResolvedInput


def store_events(items: Sequence[tuple[ProgressEvent, ResolvedInput]]
                 ) -> list[tuple[int | None, int | None]]:
    """``(learner id, new event id)`` per event (not yet added to a session), in order, for
    events of distinct keys: the learner id None for an unknown learner, the event id None
    when the learner already has an event under this caller's key (nothing stored)."""
    return insert_events_with_facts([_rows(event, resolved) for event, resolved in items])


def _rows(event: ProgressEvent, resolved: ResolvedInput) -> tuple[dict, dict]:
    row = {key: getattr(event, key) for key in EVENT_COLUMNS}
    fact = {"module_id": resolved.module_id, "assessment_id": resolved.assessment_id,
            "score": resolved.score}
    return row, fact

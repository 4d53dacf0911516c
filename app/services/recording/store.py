"""Store progress events with their facts, atomically, once per (learner, caller, key).

``ON CONFLICT DO NOTHING`` claims the key and stores the row in one step, so a
new event costs no look-up first. How the rows are written on each database is
:mod:`app.infra.event_rows`; this module only maps the events to rows.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.infra.event_rows import EVENT_COLUMNS, Stored, insert_events_with_facts
from app.models import ProgressEvent
from app.services.recording.facts import CheckedInput


def store_events(items: Sequence[tuple[ProgressEvent, CheckedInput]]) -> list[Stored]:
    """What became of each event (not yet added to a session), in order, for events of
    distinct keys (:class:`~app.infra.event_rows.Stored`: the learner id None for an
    unknown learner; the event id None when nothing was stored, because the learner
    already has an event under this caller's key or the catalog refused the fact)."""
    return insert_events_with_facts([_rows(event, checked) for event, checked in items])


def _rows(event: ProgressEvent, checked: CheckedInput) -> tuple[dict, dict]:
    row = {key: getattr(event, key) for key in EVENT_COLUMNS}
    fact = {"module": checked.module, "assessment": checked.assessment, "score": checked.score}
    return row, fact

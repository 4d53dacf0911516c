"""After a detection commit: each settled event's lag observed, its new awards counted, and
one log line per
settled event and per new award, each with the request id of the call that recorded the
event (``progress_events.request_id``), so ``grep <request id>`` follows it here.

A task settles the pending events of many learners and requests at once, so these lines
name their own request id rather than the task's.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from app.infra.metrics import record as metrics
from app.models import Achievement
from app.models.types import utcnow

log = logging.getLogger(__name__)


def settled_events(marked: Iterable[tuple[int, datetime, str | None]],
                   new: Sequence[Achievement]) -> dict[int, str | None]:
    """``(event id, recorded_at, request id)`` of the events a commit settled, and the awards
    it stored; returns each event's request id, for :func:`publish_awards`' lines."""
    now = utcnow()
    traces: dict[int, str | None] = {}
    lags = []
    for event_id, recorded_at, request_id in marked:
        traces[event_id] = request_id
        lags.append((now - recorded_at).total_seconds())
    metrics.events_settled(lags)
    metrics.awards_stored(award.achievement_type for award in new)
    if log.isEnabledFor(logging.INFO):
        for (event_id, request_id), lag in zip(traces.items(), lags, strict=True):
            log.info("progress event settled", extra={
                "request_id": request_id, "event_id": event_id, "lag_ms": round(lag * 1000, 1)})
        for award in new:
            log.info("award stored", extra=award_fields(award, traces))
    return traces


def award_fields(award: Achievement, traces: Mapping[int, str | None]) -> dict[str, object]:
    """An award's log fields, with the request id of its source event when known."""
    return {"request_id": traces.get(award.source_event_id or 0), "award_id": award.id,
            "user_id": award.user_id, "type": award.achievement_type,
            "dedupe_key": award.dedupe_key, "event_id": award.source_event_id}

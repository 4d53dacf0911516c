"""Hand an event id to the detection task; failures are left to the outbox sweep."""

from __future__ import annotations

import logging

from app.extensions import celery

log = logging.getLogger(__name__)
EVALUATE_TASK = "achievements.evaluate_progress_event"


def enqueue_evaluation(event_id: int) -> bool:
    """Enqueue after commit. A failure is logged, not raised: the event is safely stored."""
    try:
        celery.signature(EVALUATE_TASK, args=(event_id,)).apply_async()
    except Exception:
        log.exception("enqueue of progress event %s failed; the outbox sweep will retry", event_id)
        return False
    return True

"""Hand an event id to the detection task; failures are left to the outbox sweep."""

from __future__ import annotations

import logging
from typing import Any

from app.extensions import celery
from app.infra import context
from app.infra.gate import gate
from app.infra.metrics import record as metrics

log = logging.getLogger(__name__)
EVALUATE_TASK = "achievements.evaluate_progress_event"
TRACE_HEADER = "request_id"


def enqueue_evaluation(event_id: int, user_id: int, *, gated: bool = True) -> bool:
    """Enqueue after commit, unless the shard's waiting task will see the event anyway.

    ``gated=False`` (the outbox sweep) always enqueues. A failure is logged,
    not raised: the event is safely stored and the sweep will hand it over again.
    """
    if gated and not gate().admit(user_id):
        metrics.detection_enqueued("gated")
        return True
    kwargs: dict[str, Any] = {"user_id": user_id}
    if (shards := gate().shards) is not None:
        kwargs["shards"] = shards
    try:
        celery.signature(EVALUATE_TASK, args=(event_id,), kwargs=kwargs).apply_async(
            headers=trace_headers())
    except Exception:
        log.exception("enqueue of progress event %s failed; the outbox sweep will retry", event_id)
        metrics.detection_enqueued("failed")
        if gated:
            gate().reopen(user_id)
        return False
    metrics.detection_enqueued("sent")
    return True


def trace_headers() -> dict[str, str]:
    """The enqueuing call's request id, for the task's own log lines (``workers.tasks``)."""
    rid = context.request_id.get()
    return {TRACE_HEADER: rid} if rid else {}

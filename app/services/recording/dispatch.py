"""Hand an event id to the detection task; failures are left to the outbox sweep."""

from __future__ import annotations

import logging
from typing import Any

from app.extensions import celery
from app.infra.gate import gate

log = logging.getLogger(__name__)
EVALUATE_TASK = "achievements.evaluate_progress_event"


def enqueue_evaluation(event_id: int, user_id: int, *, gated: bool = True) -> bool:
    """Enqueue after commit, unless the shard's waiting task will see the event anyway.

    ``gated=False`` (the outbox sweep) always enqueues. A failure is logged,
    not raised: the event is safely stored and the sweep will hand it over again.
    """
    if gated and not gate().admit(user_id):
        return True
    kwargs: dict[str, Any] = {"user_id": user_id}
    if (shards := gate().shards) is not None:
        kwargs["shards"] = shards
    try:
        celery.signature(EVALUATE_TASK, args=(event_id,), kwargs=kwargs).apply_async()
    except Exception:
        log.exception("enqueue of progress event %s failed; the outbox sweep will retry", event_id)
        if gated:
            gate().reopen(user_id)
        return False
    return True

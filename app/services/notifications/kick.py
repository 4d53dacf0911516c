"""Waking the relay after a cause commits, without a task per award.

One relay task per time bucket and process: a 100 ms bucket for notices due now, a
one-second one for award emails waiting out their coalescing window. The task runs at
the bucket's end, so it finds every row committed before the kick; rows a lost kick
leaves behind are found by beat's periodic relay (``NOTIFY_RELAY_INTERVAL_SECONDS``).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from datetime import UTC, datetime

from app.extensions import celery

RELAY_TASK = "achievements.relay_notifications"
log = logging.getLogger(__name__)
_kicked: set[float] = set()
_lock = threading.Lock()
_written = threading.local()  # this thread wrote notices since its last kick


def note_written() -> None:
    """Called where notices are written (before the commit, in the same thread as the
    kick after it): a cause that wrote none (email off, nobody subscribed) wakes nothing."""
    _written.pending = True


def kick(delay: float = 0.0, *, force: bool = False) -> None:
    """Have a relay run ``delay`` seconds from now (rounded up to its bucket), if this
    thread wrote notices since its last kick (or ``force``)."""
    if not (force or getattr(_written, "pending", False)):
        return
    _written.pending = False
    if celery.conf.task_always_eager:  # runs now, not at the bucket's end: never skip one
        _enqueue(None)
        return
    step = 1.0 if delay > 0 else 0.1
    bucket = math.ceil((time.time() + delay) / step) * step
    with _lock:
        if bucket in _kicked:
            return
        _kicked.add(bucket)
        if len(_kicked) > 512:
            now = time.time()
            _kicked.difference_update({b for b in _kicked if b < now})
    _enqueue(datetime.fromtimestamp(bucket, UTC))


def _enqueue(eta: datetime | None) -> None:
    try:
        celery.signature(RELAY_TASK).apply_async(eta=eta)
    except Exception:
        log.exception("waking the notification relay failed; beat's relay will send")

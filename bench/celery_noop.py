"""A peer for bench/throughput.py: Celery itself, with our broker settings and a task that
does nothing — the ceiling for any design that runs one Celery task per unit of work.

``celery -A bench.celery_noop worker`` (from the project root, with
``ACHIEVEMENTS_REDIS_URL`` and ``ACHIEVEMENTS_CELERY_QUEUE`` set) consumes ``noop``
tasks with the detection worker's pool, prefetch and ``acks_late`` settings
(``app.infra.celery``) and its kombu adjustments (``app.infra.broker``).
"""

from __future__ import annotations

import os
import time
from typing import Any

from celery import Celery

from app.config import Config
from app.infra.broker import adjust_redis_transport
from app.infra.celery import PREFETCH_MULTIPLIER

app = Celery("noop", broker=os.environ.get("ACHIEVEMENTS_REDIS_URL", "redis://127.0.0.1:6379/0"))
app.conf.update(task_ignore_result=True, result_backend=None, task_acks_late=True,
                task_reject_on_worker_lost=True,
                worker_prefetch_multiplier=PREFETCH_MULTIPLIER,
                worker_pool="threads", worker_concurrency=Config.WORKER_CONCURRENCY,
                task_default_queue=os.environ.get("ACHIEVEMENTS_CELERY_QUEUE", "noop"),
                broker_connection_retry_on_startup=True)
adjust_redis_transport()


@app.task(name="noop")
def noop(event_id: int, user_id: int | None = None) -> None:
    """Takes the detection task's arguments and does nothing with them."""


def fill(settings: dict[str, Any], count: int) -> float:
    """Queue ``count`` no-op tasks (no worker running); returns the seconds it took."""
    app.conf.update(broker_url=settings["REDIS_URL"],
                    task_default_queue=settings["CELERY_QUEUE"])
    started = time.monotonic()
    for index in range(count):
        noop.apply_async((index,), kwargs={"user_id": index})
    return time.monotonic() - started


def settings_for(settings: dict[str, Any]) -> dict[str, Any]:
    """The benchmark's settings with a queue of the peer's own."""
    return {**settings, "CELERY_QUEUE": settings["CELERY_QUEUE"] + "-noop"}

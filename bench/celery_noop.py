"""A peer for bench/throughput.py: Celery itself, with our broker settings and a task that
does nothing — the ceiling for any design that runs one Celery task per unit of work.

``bare_award`` is the detection side of e2e_latency.py's stack peer: one committed
``INSERT`` of an award row for the event (a prepared statement on the thread's own
autocommit connection), then a Redis ``PUBLISH`` of its id.

``celery -A bench.celery_noop worker`` (from the project root, with
``ACHIEVEMENTS_REDIS_URL`` and ``ACHIEVEMENTS_CELERY_QUEUE`` set) consumes ``noop``
tasks with the detection worker's pool, prefetch and ``acks_late`` settings
(``app.infra.celery``) and its kombu adjustments (``app.infra.broker``).
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import psycopg
import redis
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


_local = threading.local()
AWARD = "INSERT INTO bench_bare_awards (event_id) VALUES (%s) ON CONFLICT DO NOTHING"


@app.task(name="bare_award")
def bare_award(event_id: int) -> None:
    """Store the event's award once, then tell its subscriber (``bare_channel``)."""
    if not hasattr(_local, "db"):
        _local.db = psycopg.connect(os.environ["ACHIEVEMENTS_DATABASE_URL"], autocommit=True)
        _local.redis = redis.Redis.from_url(os.environ["ACHIEVEMENTS_REDIS_URL"])
    _local.db.execute(AWARD, (event_id,), prepare=True)
    _local.redis.publish(bare_channel(os.environ["ACHIEVEMENTS_CHANNEL_PREFIX"]), event_id)


def bare_channel(prefix: str) -> str:
    return f"{prefix}:bare-awards"


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

"""Shared helpers for the benchmarks: services on 127.0.0.1, seeding, pacing, percentiles, JSON.

Every benchmark builds its own scratch PostgreSQL database, Redis db number,
channel prefix and Celery queue (so it can run beside the test suite), starts
the real processes it measures, and prints ONE JSON document made by
:func:`report`: the measured figures, a baseline measured in the same run,
and their ratio. Use from a ``bench/<name>.py`` script::

    from common import Services, emit, percentiles, report
    with Services(workers=1, web=True) as services:
        ...
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.config import Config  # noqa: E402  (needs ROOT on sys.path)
from tests.support import services  # noqa: E402
from tests.support.services import (  # noqa: E402
    PG_ADMIN_URL,
    REDIS_BASE_URL,
    Beat,
    Worker,
    service_env,
    wait_for,
)
from tests.support.web_server import WebServer  # noqa: E402

WORKER_THREADS = Config.WORKER_CONCURRENCY  # the deployed default, so runs measure it

__all__ = [
    "PG_ADMIN_URL",
    "WORKER_THREADS",
    "Services",
    "emit",
    "machine",
    "paced",
    "percentiles",
    "ratio",
    "report",
    "sql",
    "wait_for",
]


@contextmanager
def scratch_database() -> Iterator[str]:
    """A new migrated PostgreSQL database, dropped afterwards (never the shared ``test`` db)."""
    with services.scratch_database("ach_bench") as url:
        yield url


def redis_settings() -> dict[str, str]:
    """Redis db 0..15 picked from the run id, plus a unique prefix and queue."""
    tag = uuid.uuid4().hex[:10]
    return {"REDIS_URL": f"{REDIS_BASE_URL}/{int(tag, 16) % 16}",
            "CHANNEL_PREFIX": f"ach-bench-{tag}", "CELERY_QUEUE": f"ach-bench-{tag}"}


class Services:
    """Scratch database + Redis namespace + the app in-process + optional worker/beat/web.

    ``settings`` go to every subprocess as ``ACHIEVEMENTS_*``; ``app`` is an
    in-process app on the same services, for seeding and for direct calls.
    """

    def __init__(self, workers: int = 1, concurrency: int = WORKER_THREADS, web: bool = False,
                 web_workers: int = 1, beat: bool = False, pool: str | None = None,
                 **extra: str) -> None:
        self.counts = {"workers": workers, "concurrency": concurrency, "web": web,
                       "web_workers": web_workers, "beat": beat}
        self.pool = pool
        self.extra = extra
        self.stack = ExitStack()
        self.workers: list[Worker] = []
        self.web: WebServer | None = None
        self.settings: dict[str, str] = {}
        self.database_url = ""

    def __enter__(self) -> Services:
        self.database_url = self.stack.enter_context(scratch_database())
        self.settings = {"DATABASE_URL": self.database_url, "SECRET_KEY": "bench",
                         "TASKS_EAGER": "false", "SSE_PING_SECONDS": "15",
                         **redis_settings(), **self.extra}
        self.app = self._app()
        self.stack.callback(self._ctx_pop)
        return self

    def start_processes(self) -> Services:
        """Start beat, the configured workers and web server (after seeding, usually). Beat
        first: deployed, it is a standing process, and its start (a second or two of CPU
        building the app) would otherwise fall inside the drain a worker starts at once."""
        from app.extensions import db

        db.session.remove()  # no seeding transaction left open while processes run
        if self.counts["beat"]:
            self._own(Beat(self.settings, name="bench-beat").start())
        for index in range(self.counts["workers"]):
            self.start_worker(f"bench{index + 1}")
        if self.counts["web"]:
            self.web = self._own(WebServer(self.settings, workers=self.counts["web_workers"])
                                 .start())
        return self

    def settle(self, history: int) -> None:
        """Before measuring: end the seeding session's transaction (an idle transaction
        holds back PostgreSQL's xmin horizon, so no dead row version can be pruned or its
        index entries killed while the run lasts), seed ``history`` other learners' past
        and analyze (:func:`seed_history`)."""
        from app.extensions import db

        db.session.remove()
        seed_history(self.database_url, history)

    def start_worker(self, name: str = "bench") -> Worker:
        worker = Worker(self.settings, concurrency=self.counts["concurrency"], name=name,
                        pool=self.pool)
        self._own(worker.start())
        self.workers.append(worker)
        return worker

    def __exit__(self, *exc: object) -> None:
        self.stack.close()

    def _own(self, process: Any) -> Any:
        self.stack.callback(process.stop)
        return process

    def _app(self) -> Any:
        from app import create_app
        from app.config import Config

        with mock.patch.dict(os.environ, service_env(self.settings), clear=True):
            config = Config.from_env()  # the subprocesses' settings, extras included
        app = create_app(config)
        self._ctx = app.app_context()
        self._ctx.push()
        return app

    def _ctx_pop(self) -> None:
        from app.extensions import db

        db.session.remove()
        self._ctx.pop()


def sql(url: str, query: str,
        params: tuple[Any, ...] | dict[str, Any] = ()) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        cursor = conn.execute(query, params)
        return cursor.fetchall() if cursor.description else []


def paced(count: int, rate: float, deadline: float) -> Iterator[int]:
    """Yield 0..count-1 at a steady ``rate`` per second; stop early at ``deadline`` (monotonic)."""
    start = time.monotonic()
    for index in range(count):
        due = start + index / rate
        now = time.monotonic()
        if now > deadline:
            return
        if due > now:
            time.sleep(due - now)
        yield index


def percentiles(samples: list[float]) -> dict[str, float | int]:
    """p50/p95/p99 (nearest rank), mean and max of millisecond samples."""
    if not samples:
        return {"count": 0}
    ordered = sorted(samples)

    def rank(p: float) -> float:
        return round(ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)], 2)

    return {"count": len(ordered), "p50": rank(50), "p95": rank(95), "p99": rank(99),
            "mean": round(sum(ordered) / len(ordered), 2), "max": round(ordered[-1], 2)}


def ratio(measured: float | None, baseline: float | None) -> float | None:
    if not measured or not baseline:
        return None
    return round(measured / baseline, 3)


def machine() -> dict[str, Any]:
    """Where the figures came from."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    return {"cpus": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(), "cpu_model": _cpu_model(), "commit": commit}


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def report(name: str, params: dict[str, Any], measured: dict[str, Any],
           baseline: dict[str, Any], ratios: dict[str, Any],
           targets: dict[str, Any]) -> dict[str, Any]:
    """The one JSON document a benchmark prints."""
    return {"benchmark": name, "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {**machine(), "loadavg_at_end": loadavg()}, "params": params,
            "measured": measured, "baseline": baseline, "ratio": ratios, "targets": targets}


def emit(document: dict[str, Any]) -> None:
    print(json.dumps(document, indent=2, default=str))


def in_thread(fn: Callable[[], None], name: str) -> threading.Thread:
    thread = threading.Thread(target=fn, name=name, daemon=True)
    thread.start()
    return thread


def bulk_learners(count: int, prefix: str = "learner") -> list[int]:
    """Insert ``count`` learners in one statement (no password: they never log in); their ids."""
    from sqlalchemy import insert, select

    from app.extensions import db
    from app.models import User
    from app.models.types import utcnow

    now = utcnow()
    rows = [{"email": f"{prefix}{i}@bench.example", "password_hash": "!", "role": "learner",
             "timezone": "UTC", "created_at": now} for i in range(count)]
    db.session.execute(insert(User), rows)
    db.session.commit()
    query = select(User.id).where(User.email.like(f"{prefix}%@bench.example")).order_by(User.id)
    ids = list(db.session.scalars(query))
    db.session.commit()  # left open, the read's transaction would pin the xmin horizon
    return ids


HISTORY_LEARNERS = 2000  # other learners whose past a run's database gets by default
# The seeded past is marked so that a run's own figures can leave it out: its events come
# from source 'past', its awards have dedupe keys 'past:<n>'.
RUN_EVENTS = "source <> 'past'"  # a WHERE condition on progress_events
RUN_AWARDS = "(SELECT count(*) FROM achievements WHERE dedupe_key NOT LIKE 'past:%%')"

_HISTORY_SQL = """
WITH people AS (
  INSERT INTO users (email, password_hash, role, timezone, created_at)
  SELECT 'past' || g || '@bench.example', '!', 'learner', 'UTC', now()
  FROM generate_series(1, %(learners)s) g RETURNING id),
events AS (
  INSERT INTO progress_events (user_id, kind, payload, idempotency_key, request_hash, source,
                               occurred_at, recorded_at, processed_at, attempts)
  SELECT p.id, 'module_completed', '{}', 'past' || n, '', 'past',
         now() - make_interval(days => n), now(), now(), 1
  FROM people p, generate_series(1, %(events)s) n RETURNING id, user_id),
completions AS (
  INSERT INTO module_completions (user_id, module_id, completed_at, event_id)
  SELECT e.user_id, m.id, now(), min(e.id)
  FROM events e, (SELECT id FROM modules ORDER BY id LIMIT %(events)s) m
  GROUP BY e.user_id, m.id)
INSERT INTO achievements (user_id, achievement_type, dedupe_key, title, description, earned_at,
                          metadata, silent, published_at, public_id, public)
SELECT p.id, 'milestone', 'past:' || n, 'Past', '', now(), '{}', false, now(),
       gen_random_uuid()::text, false
FROM people p, generate_series(1, %(awards)s) n
"""


def add_history_option(parser: argparse.ArgumentParser) -> None:
    """``--history LEARNERS``, for :meth:`Services.settle` before a run's processes start."""
    parser.add_argument("--history", type=int, default=HISTORY_LEARNERS, metavar="LEARNERS",
                        help="seed this many other learners' settled past, then ANALYZE "
                             "(common.Services.settle; 0: no past)")


def seed_history(url: str, learners: int, events: int = 20, awards: int = 5) -> None:
    """A running service's past, then ``ANALYZE``: ``learners`` other learners with
    ``events`` settled events, as many completed modules and ``awards`` published awards
    each.

    A scratch database's tables are empty, so the statements the workers prepare at their
    start get generic plans for empty tables (sequential scans) and keep them for the whole
    run: nothing analyzes them within a benchmark's seconds. A deployed database is neither
    empty nor unanalyzed; ``learners=0`` skips this.
    """
    if learners > 0:
        sql(url, _HISTORY_SQL, {"learners": learners, "events": events, "awards": awards})
    sql(url, "ANALYZE")


def loadavg() -> list[float]:
    """The 1/5/15-minute load averages: other work on the box skews every figure."""
    return [round(x, 2) for x in os.getloadavg()]

"""The stack's own floor for our web side: Flask under the same gunicorn, one INSERT.

``POST /bare`` reads the same JSON body as ``POST /api/v1/progress-events``, stores it
with one committed ``INSERT … ON CONFLICT DO NOTHING RETURNING id`` (a prepared
statement on an autocommit psycopg connection of a small per-worker pool) and answers
202 with the id as JSON. No auth, no validation, no catalog, no metrics, logs, headers
or languages: the ceiling for any Flask view that commits one row per request on this
stack. ``xapi_ingest.py`` measures its REST phase against it (``rest_vs_bare``).

``POST /bare-task`` does the same, then sends the Celery task ``bare_award`` of
``celery_noop.py`` (our broker settings) with the new row's id, as recording enqueues
detection: e2e_latency.py's stack peer. :func:`serving` runs it under gunicorn.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from queue import Empty, LifoQueue
from typing import Any

import psycopg
from flask import Flask, jsonify, request

TABLE = "bench_bare_events"
INSERT = (f"INSERT INTO {TABLE} (user_id, kind, idempotency_key, body) "
          "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING id")
app = Flask(__name__)
_idle: LifoQueue[psycopg.Connection] = LifoQueue()


@contextmanager
def connection() -> Iterator[psycopg.Connection]:
    try:
        conn = _idle.get_nowait()
    except Empty:
        conn = psycopg.connect(os.environ["BARE_DATABASE_URL"], autocommit=True)
    try:
        yield conn
    finally:
        _idle.put(conn)


@app.post("/bare")
def bare() -> tuple[object, int]:
    return jsonify(id=_store(request.get_json())), 202


@app.post("/bare-task")
def bare_task() -> tuple[object, int]:
    from celery_noop import bare_award

    event_id = _store(request.get_json())
    if event_id is not None:
        bare_award.apply_async((event_id,))
    return jsonify(id=event_id), 202


def _store(body: dict[str, Any]) -> int | None:
    with connection() as conn:
        row = conn.execute(INSERT, (body["user_id"], body["kind"], body["idempotency_key"],
                                    psycopg.types.json.Jsonb(body)), prepare=True).fetchone()
    return row[0] if row else None


WARM_UP = "warm-up"  # the kind of the request that finds the server up (not counted)


def stored(url: str) -> int:
    """Rows stored by the measured requests."""
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(f"SELECT count(*) FROM {TABLE} WHERE kind <> %s",
                            (WARM_UP,)).fetchone()[0]


def create_tables(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (id bigserial PRIMARY KEY, "
                     "user_id int NOT NULL, kind text NOT NULL, idempotency_key text NOT NULL, "
                     "body jsonb NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now(), "
                     "UNIQUE (user_id, idempotency_key))")
        conn.execute("CREATE TABLE IF NOT EXISTS bench_bare_awards (id bigserial PRIMARY KEY, "
                     "event_id bigint NOT NULL UNIQUE, "
                     "earned_at timestamptz NOT NULL DEFAULT now())")


@contextmanager
def serving(url: str, env: dict[str, str], port: int) -> Iterator[str]:
    """This app under gunicorn's gevent worker (one), on ``url``'s database, with ``env``
    (``ACHIEVEMENTS_REDIS_URL``/``_CELERY_QUEUE`` for ``/bare-task``); yields its base URL
    once it answers."""
    import http.client

    from tests.support.services import wait_for

    create_tables(url)
    bench = Path(__file__).resolve().parent
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-k", "gevent", "-w", "1", "-c", "/dev/null",
         "--worker-connections", "2000", "-b", f"127.0.0.1:{port}", "--pythonpath", str(bench),
         "rest_bare:app"], env={**os.environ, **env, "BARE_DATABASE_URL": url},
        cwd=bench.parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def answers() -> bool:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("POST", "/bare", body=b'{"user_id": 0, "kind": "%s", '
                               b'"idempotency_key": "w"}' % WARM_UP.encode(),
                               headers={"Content-Type": "application/json"})
            return connection.getresponse().status == 202
        except OSError:
            return False
        finally:
            connection.close()

    try:
        wait_for(answers, timeout=30, interval=0.1, what="rest_bare under gunicorn")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(10)

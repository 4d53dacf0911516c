"""The peer of ``xapi_ingest.py``'s REST phase: Flask under the same gunicorn, one INSERT.

``POST /bare`` reads the same JSON body as ``POST /api/v1/progress-events``, stores it
with one committed ``INSERT … ON CONFLICT DO NOTHING RETURNING id`` (a prepared
statement on an autocommit psycopg connection of a small per-worker pool) and answers
202 with the id as JSON. No auth, no validation, no catalog, no enqueue, no metrics,
logs, headers or languages: the ceiling for any Flask view that commits one row per
request on this stack, so ``rest_vs_bare`` says how much of the gap to raw INSERTs is
the stack itself. Served by ``xapi_ingest.py``:

    BARE_DATABASE_URL=postgresql://… python -m gunicorn -k gevent -c /dev/null \\
        --pythonpath bench rest_bare:app
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from queue import Empty, LifoQueue

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
    body = request.get_json()
    with connection() as conn:
        row = conn.execute(INSERT, (body["user_id"], body["kind"], body["idempotency_key"],
                                    psycopg.types.json.Jsonb(body)), prepare=True).fetchone()
    return jsonify(id=row[0] if row else None), 202


WARM_UP = "warm-up"  # the kind of the request that finds the server up (not counted)


def stored(url: str) -> int:
    """Rows stored by the measured requests."""
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(f"SELECT count(*) FROM {TABLE} WHERE kind <> %s",
                            (WARM_UP,)).fetchone()[0]


def create_table(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (id bigserial PRIMARY KEY, "
                     "user_id int NOT NULL, kind text NOT NULL, idempotency_key text NOT NULL, "
                     "body jsonb NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now(), "
                     "UNIQUE (user_id, idempotency_key))")

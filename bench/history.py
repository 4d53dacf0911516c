"""Benchmark: GET /api/v1/achievements at scale on PostgreSQL, against its own SQL; prints JSON.

    .venv/bin/python bench/history.py                       # 200,000 awards, ~1 minute
    .venv/bin/python bench/history.py --awards 1000000 --learners 100000 --keep
    .venv/bin/python bench/history.py --database URL   # reuse a kept, seeded database

Creates a scratch database (dropped afterwards unless ``--keep``, which prints
its URL and leaves it for ``--database``), COPYs learners and awards in (most
learners hold a few awards; ``--heavy`` learners hold ``--heavy-awards`` each
so deep pages exist; at most ``MAX_AWARDS``), then times, in one process and
interleaved request by request (so both see the same load):

* the API: ``GET /api/v1/achievements`` through the Flask app with a service
  token (auth, validation, the keyset query, serialization) — first pages,
  deep pages (a cursor far down a heavy learner's history) and a type filter —
  called as gunicorn calls it: the WSGI environ is built before timing (as the
  SQL is compiled before timing), then ``app(environ, start_response)`` and
  the body read to its end. Neither side includes an HTTP hop;
* the baseline: the same keyset SQL with the same parameters
  (``history_statement``, the statement the API's ``list_history`` sends)
  run directly on a psycopg connection in autocommit, as the API's read-only
  requests run (same driver, prepared and fetched the same way).

``ratio`` is API / SQL at p50 and at p99. ``plans`` shows the index each
query uses: the keyset query must be an index scan, never a sort of the
learner's rows.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import PG_ADMIN_URL, emit, percentiles, ratio, report, scratch_database

TYPES = ["module_complete", "unit_complete", "course_complete", "high_score", "perfect_score",
         "streak", "milestone"]
START = datetime(2024, 1, 1, tzinfo=UTC)
PAGE = 20
WARM_UP = 20  # untimed requests per scenario and side
MAX_AWARDS = 5_000_000  # a bound on the seed: ~1 minute per million rows on this box
Pick = tuple[int, list[str] | None, int | None]  # learner, type filter, cursor award id


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--awards", type=int, default=200_000, help="stored awards in total")
    parser.add_argument("--learners", type=int, default=None,
                        help="learners (default: awards / 10)")
    parser.add_argument("--heavy", type=int, default=10, help="learners with a long history")
    parser.add_argument("--heavy-awards", type=int, default=5_000, help="awards per heavy learner")
    parser.add_argument("--requests", type=int, default=300, help="timed requests per scenario")
    parser.add_argument("--keep", action="store_true",
                        help="keep the scratch database and print its URL (for --database)")
    parser.add_argument("--database", help="reuse this database as a kept run seeded it")
    args = parser.parse_args()
    if not 0 < args.awards <= MAX_AWARDS:
        parser.error(f"--awards must be 1..{MAX_AWARDS}")
    return args


def award_rows(learners: list[int], heavy: list[int], total: int,
               heavy_awards: int) -> Iterator[tuple[Any, ...]]:
    """Awards in id (= time) order, learners interleaved as in production: heavy learners'
    long histories and the rest spread evenly over the others."""
    heavy_set = set(heavy)
    light = [uid for uid in learners if uid not in heavy_set]
    owners = [uid for uid in heavy for _ in range(heavy_awards)]
    rest = max(total - len(owners), 0)
    owners += [light[i % len(light)] for i in range(rest)]
    random.shuffle(owners)
    held: dict[int, int] = {}
    for counter, uid in enumerate(owners):
        n = held[uid] = held.get(uid, 0) + 1
        kind = TYPES[n % len(TYPES)]
        earned = START + timedelta(seconds=counter)
        yield (uid, kind, f"{kind}:bench-{n}", f"Award {n}", "", earned, "{}", False)


def seed(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """COPY learners and awards in (one COPY each, one commit); then ANALYZE."""
    import psycopg

    started = time.perf_counter()
    count = args.learners or max(args.awards // 10, args.heavy + 1)
    with psycopg.connect(url) as conn:
        with conn.cursor().copy("COPY users (email, password_hash, role, timezone, created_at)"
                                " FROM STDIN") as copy:
            for i in range(count):
                copy.write_row((f"l{i}@bench.example", "!", "learner", "UTC", START))
        learners = [row[0] for row in conn.execute("SELECT id FROM users ORDER BY id")]
        columns = ("user_id, achievement_type, dedupe_key, title, description, earned_at,"
                   " metadata, silent")
        with conn.cursor().copy(f"COPY achievements ({columns}) FROM STDIN") as copy:
            for row in award_rows(learners, learners[:args.heavy], args.awards,
                                  args.heavy_awards):
                copy.write_row(row)
        conn.commit()
        conn.execute("ANALYZE users")
        conn.execute("ANALYZE achievements")
    return {**seeded_state(url, args.heavy), "seconds": round(time.perf_counter() - started, 1)}


def seeded_state(url: str, heavy: int) -> dict[str, Any]:
    """Learners (the first ``heavy`` hold the long histories, as ``seed`` made them) and awards."""
    import psycopg

    with psycopg.connect(url) as conn:
        learners = [row[0] for row in conn.execute("SELECT id FROM users ORDER BY id")]
        stored = conn.execute("SELECT count(*) FROM achievements").fetchone()[0]  # type: ignore[index]
    return {"learners": learners, "heavy": learners[:heavy], "stored": stored, "seconds": 0.0}


@contextmanager
def database(args: argparse.Namespace) -> Iterator[str]:
    """``--database`` as given, a kept new one (``--keep``), or a scratch one dropped afterwards."""
    if args.database:
        yield args.database
    elif args.keep:
        yield kept_database()
    else:
        with scratch_database() as url:
            yield url


def kept_database() -> str:
    import uuid

    import psycopg

    from tests.support.services import migrate

    name = f"ach_bench_history_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    migrate(url)
    print(f"kept {url} (reuse with --database; drop it when done)", file=sys.stderr)
    return url


def compiled_sql(query: Pick) -> tuple[str, dict[str, Any]]:
    """The statement and parameters the API sends for ``query`` on PostgreSQL
    (``history_statement``, which ``list_history`` runs for the REST history)."""
    from app.read.history import HistoryFilter, encode_cursor, history_statement

    uid, kinds, after = query
    return history_statement(uid, HistoryFilter(types=kinds or ()),
                             encode_cursor(after) if after else None, PAGE + 1)


def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


class Scenario:
    """One query shape: who asks, with which type filter and cursor."""

    def __init__(self, name: str, pick: Callable[[], Pick]):
        self.name, self.pick = name, pick


def scenarios(seeded: dict[str, Any], conn: Any) -> list[Scenario]:
    heavy, learners = seeded["heavy"], seeded["learners"]
    deep_ids: dict[int, list[int]] = {
        uid: [r[0] for r in conn.execute("SELECT id FROM achievements WHERE user_id = %s"
                                         " ORDER BY id", (uid,))] for uid in heavy}
    return [
        Scenario("first_page", lambda: (random.choice(learners), None, None)),
        Scenario("first_page_heavy", lambda: (random.choice(heavy), None, None)),
        Scenario("deep_page", lambda: _deep(deep_ids)),
        Scenario("type_filter", lambda: (random.choice(heavy), ["unit_complete"], None)),
    ]


def _deep(deep_ids: dict[int, list[int]]) -> tuple[int, None, int]:
    uid = random.choice(list(deep_ids))
    ids = deep_ids[uid]
    return uid, None, ids[random.randrange(len(ids) // 10 + 1)]  # the oldest tenth


def api_url(query: Pick) -> str:
    """The request a client sends for ``query`` (built before timing, as the SQL is compiled)."""
    from urllib.parse import urlencode

    from app.read.history import encode_cursor

    uid, kinds, after = query
    params: list[tuple[str, Any]] = [("user_id", uid), ("limit", PAGE)]
    params += [("type", kind) for kind in kinds or ()]
    if after:
        params.append(("cursor", encode_cursor(after)))
    return "/api/v1/achievements?" + urlencode(params)


def wsgi_environ(url: str, headers: dict[str, str]) -> dict[str, Any]:
    """What a WSGI server hands the app for ``url`` (built before timing, like the SQL)."""
    from werkzeug.test import EnvironBuilder

    return EnvironBuilder(url, headers=headers).get_environ()


def api_call(app: Any, environ: dict[str, Any]) -> bytes:
    """The app called as gunicorn calls it: status checked, the body read to its end."""
    status: list[str] = []
    body = app(environ, lambda code, headers, exc_info=None: status.append(code))
    try:
        data = b"".join(body)
    finally:
        getattr(body, "close", lambda: None)()
    assert status[0].startswith("200"), data
    return data


def plan(conn: Any, sql: tuple[str, dict[str, Any]]) -> str:
    rows = conn.execute("EXPLAIN " + sql[0], sql[1]).fetchall()
    return " / ".join(row[0].strip() for row in rows[:2])


@contextmanager
def api_client(url: str) -> Iterator[tuple[Any, dict[str, str]]]:
    from app import create_app
    from app.config import Config
    from app.extensions import db
    from app.services.accounts import create_token

    app = create_app(Config(DATABASE_URL=url, SECRET_KEY="bench", TASKS_EAGER=True))
    with app.app_context():
        token = create_token("bench", ["achievements:read"])[1]
        db.session.remove()
    yield app, {"Authorization": f"Bearer {token}"}


def measure(url: str, seeded: dict[str, Any], repeats: int) -> dict[str, Any]:
    import psycopg

    api, direct, plans = {}, {}, {}
    with psycopg.connect(url, autocommit=True) as conn, api_client(url) as (app, headers):
        for scenario in scenarios(seeded, conn):
            picks = [scenario.pick() for _ in range(repeats + WARM_UP)]
            environs = [wsgi_environ(api_url(p), headers) for p in picks]
            statements = [compiled_sql(p) for p in picks]
            same_rows(json.loads(api_call(app, wsgi_environ(api_url(picks[0]), headers))),
                      run_sql(conn, statements[0]))
            api[scenario.name], direct[scenario.name] = run_interleaved(
                lambda environ: api_call(app, environ),
                lambda sql: run_sql(conn, sql), environs, statements)
            plans[scenario.name] = plan(conn, statements[0])
    return {"api": api, "sql": direct, "plans": plans}


def same_rows(page: dict[str, Any], rows: list[Any]) -> None:
    """The API and the baseline read the same awards (the SQL fetches one extra row)."""
    assert [item["id"] for item in page["items"]] == [row[0] for row in rows[:PAGE]], page


def run_sql(conn: Any, sql: tuple[str, dict[str, Any]]) -> list[Any]:
    return conn.execute(sql[0], sql[1], prepare=True).fetchall()  # type: ignore[no-any-return]


def run_interleaved(call_api: Callable[[Any], Any], call_sql: Callable[[Any], Any],
                    requests: list[Any], statements: list[Any]) -> tuple[dict[str, Any], ...]:
    """API request i, then its SQL i: both sides see the same load; WARM_UP untimed first.

    Each request has its own environ (an app may change it), so the first
    WARM_UP of them are spent on the warm-up.
    """
    for request, sql in zip(requests[:WARM_UP], statements[:WARM_UP], strict=True):
        call_api(request)
        call_sql(sql)
    api, direct = [], []
    for request, sql in zip(requests[WARM_UP:], statements[WARM_UP:], strict=True):
        api.append(timed(lambda: call_api(request)))  # noqa: B023  (called at once)
        direct.append(timed(lambda: call_sql(sql)))  # noqa: B023
    return percentiles(api), percentiles(direct)


def ratios(results: dict[str, Any]) -> dict[str, Any]:
    return {f"api_{p}_over_sql_{p}": {name: ratio(results["api"][name].get(p),
                                                  results["sql"][name].get(p))
                                      for name in results["api"]} for p in ("p50", "p99")}


def main() -> None:
    args = parse_args()
    random.seed(7)
    with database(args) as url:
        seeded = seeded_state(url, args.heavy) if args.database else seed(url, args)
        results = measure(url, seeded, args.requests)
    emit(report(
        "history", {"awards": seeded["stored"], "learners": len(seeded["learners"]),
                    "heavy_learners": args.heavy, "heavy_awards": args.heavy_awards,
                    "page": PAGE, "requests_per_scenario": args.requests,
                    "seed_seconds": seeded["seconds"], "reused_database": bool(args.database)},
        measured={**results["api"], "plans": results["plans"]}, baseline=results["sql"],
        ratios=ratios(results),
        targets={"api_p99_ms": "<= 20 at 1,000,000 awards", "api_p99_over_sql_p99": "<= 3",
                 "plans": "Index Scan Backward"}))


if __name__ == "__main__":
    main()

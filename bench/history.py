"""Benchmark: GET /api/v1/achievements at scale on PostgreSQL, against its own SQL; prints JSON.

    .venv/bin/python bench/history.py                       # 200,000 awards, ~1 minute
    .venv/bin/python bench/history.py --awards 1000000 --learners 100000

Creates a scratch database (dropped afterwards unless ``--keep``), COPYs
learners and awards in (most learners hold a few awards; ``--heavy`` learners
hold ``--heavy-awards`` each so deep pages exist), then times, in one process:

* the API: ``GET /api/v1/achievements`` through the Flask app with a service
  token (auth, validation, the keyset query, serialization) — first pages,
  deep pages (a cursor far down a heavy learner's history) and a type filter;
* the baseline: the same keyset SQL (compiled from ``history_query``, the
  function the API calls) run directly on a psycopg connection.

``ratio`` is API p50 / SQL p50. ``plans`` shows the index each query uses:
the keyset query must be an index scan, never a sort of the learner's rows.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import emit, percentiles, ratio, report, scratch_database

TYPES = ["module_complete", "unit_complete", "course_complete", "high_score", "perfect_score",
         "streak", "milestone"]
START = datetime(2024, 1, 1, tzinfo=UTC)
PAGE = 20


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--awards", type=int, default=200_000, help="stored awards in total")
    parser.add_argument("--learners", type=int, default=None,
                        help="learners (default: awards / 10)")
    parser.add_argument("--heavy", type=int, default=10, help="learners with a long history")
    parser.add_argument("--heavy-awards", type=int, default=5_000, help="awards per heavy learner")
    parser.add_argument("--requests", type=int, default=300, help="timed requests per scenario")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    return parser.parse_args()


def award_rows(learners: list[int], heavy: list[int], total: int,
               heavy_awards: int) -> Iterator[tuple[Any, ...]]:
    """Awards in id (= time) order, learners interleaved as in production: heavy learners'
    long histories and the rest spread evenly over the others."""
    light = [uid for uid in learners if uid not in set(heavy)]
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
    """COPY learners and awards in; returns who is heavy and how long it took."""
    import psycopg

    started = time.perf_counter()
    count = args.learners or max(args.awards // 10, args.heavy + 1)
    with psycopg.connect(url) as conn:
        with conn.cursor().copy("COPY users (email, password_hash, role, timezone, created_at)"
                                " FROM STDIN") as copy:
            for i in range(count):
                copy.write_row((f"l{i}@bench.example", "!", "learner", "UTC", START))
        learners = [row[0] for row in conn.execute("SELECT id FROM users ORDER BY id")]
        heavy = learners[:args.heavy]
        columns = ("user_id, achievement_type, dedupe_key, title, description, earned_at,"
                   " metadata, silent")
        with conn.cursor().copy(f"COPY achievements ({columns}) FROM STDIN") as copy:
            for row in award_rows(learners, heavy, args.awards, args.heavy_awards):
                copy.write_row(row)
        conn.commit()
        conn.execute("ANALYZE users")
        conn.execute("ANALYZE achievements")
        stored = conn.execute("SELECT count(*) FROM achievements").fetchone()[0]
    return {"learners": learners, "heavy": heavy, "stored": stored,
            "seconds": round(time.perf_counter() - started, 1)}


def compiled_sql(query: tuple[int, list[str] | None, int | None]) -> str:
    """The exact SQL the API runs for ``query`` (app.achievements.queries.history_query)."""
    from sqlalchemy.dialects import postgresql

    from app.achievements.queries import HistoryFilter, encode_cursor, history_query

    uid, kinds, after = query
    stmt = history_query(uid, HistoryFilter(types=kinds or ()),
                         encode_cursor(after) if after else None, PAGE + 1)
    return str(stmt.compile(dialect=postgresql.dialect(),
                            compile_kwargs={"literal_binds": True}))


def timed(fn: Callable[[], Any], repeats: int) -> list[float]:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


class Scenario:
    """One query shape: who asks, with which type filter and cursor."""

    def __init__(self, name: str, pick: Callable[[], tuple[int, list[str] | None, int | None]]):
        self.name, self.pick = name, pick


def scenarios(seeded: dict[str, Any], conn: Any) -> list[Scenario]:
    heavy, learners = seeded["heavy"], seeded["learners"]
    deep_ids: dict[int, list[int]] = {
        uid: [r[0] for r in conn.execute("SELECT id FROM achievements WHERE user_id = %s",
                                         (uid,))] for uid in heavy}
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


def api_call(client: Any, headers: dict[str, str], query: tuple[int, list[str] | None,
                                                                   int | None]) -> None:
    from app.achievements.queries import encode_cursor

    uid, kinds, after = query
    params: dict[str, Any] = {"user_id": uid, "limit": PAGE}
    if kinds:
        params["type"] = kinds
    if after:
        params["cursor"] = encode_cursor(after)
    response = client.get("/api/v1/achievements", query_string=params, headers=headers)
    assert response.status_code == 200, response.data


def plan(conn: Any, sql: str) -> str:
    rows = conn.execute("EXPLAIN " + sql).fetchall()  # type: ignore[arg-type]
    return " / ".join(row[0].strip() for row in rows[:2])


@contextmanager
def api_client(url: str) -> Iterator[tuple[Any, dict[str, str]]]:
    from app import create_app
    from app.accounts import create_token
    from app.config import Config
    from app.extensions import db

    app = create_app(Config(DATABASE_URL=url, SECRET_KEY="bench", TASKS_EAGER=True))
    with app.app_context():
        token = create_token("bench", ["achievements:read"])[1]
        db.session.remove()
    yield app.test_client(), {"Authorization": f"Bearer {token}"}


def measure(url: str, seeded: dict[str, Any], repeats: int) -> dict[str, Any]:
    import psycopg

    api, direct, plans = {}, {}, {}
    with psycopg.connect(url, autocommit=True) as conn, api_client(url) as (client, headers):
        for scenario in scenarios(seeded, conn):
            picks = [scenario.pick() for _ in range(repeats)]
            api[scenario.name] = run_api(client, headers, picks)
            with client.application.app_context():
                statements = [compiled_sql(pick) for pick in picks]
            direct[scenario.name] = run_sql(conn, statements)
            plans[scenario.name] = plan(conn, statements[0])
    return {"api": api, "sql": direct, "plans": plans}


def run_api(client: Any, headers: dict[str, str], picks: list[Any]) -> dict[str, Any]:
    for pick in picks[:20]:  # warm-up: connections, caches
        api_call(client, headers, pick)
    calls = iter(picks)
    return percentiles(timed(lambda: api_call(client, headers, next(calls)), len(picks)))


def run_sql(conn: Any, statements: list[str]) -> dict[str, Any]:
    for sql in statements[:20]:
        conn.execute(sql).fetchall()
    queries = iter(statements)
    return percentiles(timed(lambda: conn.execute(next(queries)).fetchall(), len(statements)))


def main() -> None:
    args = parse_args()
    random.seed(7)
    with scratch_database() as url:
        seeded = seed(url, args)
        results = measure(url, seeded, args.requests)
        if args.keep:
            print(f"kept {url}", file=sys.stderr)
            input("press Enter to drop the database")
    ratios = {name: ratio(results["api"][name].get("p50"), results["sql"][name].get("p50"))
              for name in results["api"]}
    emit(report(
        "history", {"awards": seeded["stored"], "learners": len(seeded["learners"]),
                    "heavy_learners": args.heavy, "heavy_awards": args.heavy_awards,
                    "page": PAGE, "requests_per_scenario": args.requests,
                    "seed_seconds": seeded["seconds"]},
        measured={**results["api"], "plans": results["plans"]}, baseline=results["sql"],
        ratios={"api_p50_over_sql_p50": ratios},
        targets={"api_p99_ms": "< 50 at 1,000,000 awards", "plans": "Index Scan Backward"}))


if __name__ == "__main__":
    main()

"""Benchmark: backfill over a generated history on PostgreSQL; prints JSON.

    .venv/bin/python bench/backfill.py --rows 1000000 --learners 10000 [--jobs 2]

Creates a scratch database next to ``--admin-url`` (dropped afterwards unless
``--keep``), imports a catalog, COPYs users and progress rows in, then times
``backfill(dry_run=...)`` and ``backfill()`` and a rerun, each in ``--jobs``
processes (default: one per CPU; each run spawns its own). Target: >= 20,000
progress rows/s. Baseline, same run and database: the same rows (events,
completions, attempts) read with plain SQL, learner batch by learner batch,
nothing evaluated — what reading alone costs. Prints one JSON document.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial

import common  # puts the project root on sys.path

ZONES = ["UTC", "Europe/Berlin", "America/Los_Angeles", "Pacific/Auckland", "Asia/Kolkata"]
START = datetime(2024, 1, 1, tzinfo=UTC)


def catalog_doc(courses: int = 20, units: int = 3, modules: int = 5) -> dict:
    quiz = {"max_score": 10, "required": True}
    return {"courses": [{
        "key": f"c{c}", "title": f"Course {c}",
        "assessments": [{"key": f"c{c}-final", "title": "Final", **quiz}],
        "units": [{"key": f"c{c}-u{u}", "title": f"Unit {u}",
                   "assessments": [{"key": f"c{c}-u{u}-q", "title": "Quiz", **quiz}],
                   "modules": [{"key": f"c{c}-u{u}-m{m}", "title": f"Module {m}"}
                               for m in range(modules)]} for u in range(units)],
    } for c in range(courses)]}


@contextmanager
def scratch_database(admin_url: str, keep: bool) -> Iterator[str]:
    import psycopg

    name = f"ach_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        if not keep:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def copy_rows(conn, table: str, columns: str, rows: Iterator[tuple]) -> None:
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
    buffer.seek(0)
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        while chunk := buffer.read(1 << 20):
            copy.write(chunk)


def histories(rng: random.Random, learners: int, per: int, module_ids: list[int],
              quiz_ids: list[int], now: str) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """``per`` events a learner, three a day from a random start: completions first."""
    events, completions, attempts = [], [], []
    for user in range(1, learners + 1):
        day0 = rng.randint(0, 200)
        done = rng.sample(module_ids, min(len(module_ids), per // 2))
        for i in range(per):
            when = START + timedelta(days=day0 + i // 3, minutes=rng.randint(0, 1439))
            kind = "module_completed" if i < len(done) else (
                "assessment_scored" if i % 3 == 0 else "activity")
            events.append((user, kind, "{}", f"k{i}", "h", "bench", when.isoformat(),
                           now, now, 1))
            if kind == "module_completed":
                completions.append((user, done[i], when.isoformat()))
            elif kind == "assessment_scored":
                attempts.append((user, rng.choice(quiz_ids), rng.choice([5, 7, 9, 10]),
                                 when.isoformat()))
    return events, completions, attempts


def generate(url: str, rows: int, learners: int, seed: int) -> dict:
    """COPY users, events, completions and attempts; returns the row counts."""
    import psycopg

    rng = random.Random(seed)
    with psycopg.connect(url) as conn:
        module_ids = [r[0] for r in conn.execute("SELECT id FROM modules")]
        quiz_ids = [r[0] for r in conn.execute("SELECT id FROM assessments")]
        now = datetime.now(UTC).isoformat()
        copy_rows(conn, "users", "id, email, password_hash, role, timezone, created_at",
                  ((i, f"b{i}@example.com", "x", "learner", rng.choice(ZONES), now)
                   for i in range(1, learners + 1)))
        events, completions, attempts = histories(rng, learners, rows // learners,
                                                  module_ids, quiz_ids, now)
        copy_rows(conn, "progress_events", "user_id, kind, payload, idempotency_key, "
                  "request_hash, source, occurred_at, recorded_at, processed_at, attempts",
                  iter(events))
        copy_rows(conn, "module_completions", "user_id, module_id, completed_at",
                  iter(completions))
        copy_rows(conn, "assessment_attempts", "user_id, assessment_id, score, occurred_at",
                  iter(attempts))
        conn.execute("SELECT setval('users_id_seq', %s)", (learners,))
        conn.commit()
        conn.execute("ANALYZE")
    return {"progress_events": len(events), "module_completions": len(completions),
            "assessment_attempts": len(attempts), "learners": learners}


def timed(label: str, fn) -> dict:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    report = fn()
    seconds = time.perf_counter() - started
    return {"run": label, "seconds": round(seconds, 2), "rows": report.rows,
            "rows_per_second": round(report.rows / seconds), "awards": report.awards,
            "learners": report.learners}


BATCH_READS = ("SELECT id, occurred_at FROM progress_events WHERE user_id = ANY(%s)",
               "SELECT user_id, module_id FROM module_completions WHERE user_id = ANY(%s)",
               "SELECT user_id, assessment_id, score FROM assessment_attempts "
               "WHERE user_id = ANY(%s)")


def raw_read(url: str, batch_size: int) -> dict:
    """The baseline: every learner's rows read with plain SQL, ``batch_size`` learners a time."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM users ORDER BY id")]
        started, events = time.perf_counter(), 0
        for index in range(0, len(ids), batch_size):
            batch = ids[index:index + batch_size]
            events += len(conn.execute(BATCH_READS[0], (batch,)).fetchall())
            for sql in BATCH_READS[1:]:
                conn.execute(sql, (batch,)).fetchall()
        seconds = time.perf_counter() - started
    return {"rows": events, "seconds": round(seconds, 2),
            "rows_per_second": round(events / seconds)}


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="backfill processes (default: one per CPU)")
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true")
    return parser.parse_args()


def run(args: argparse.Namespace) -> tuple[dict, dict]:
    """(measured, baseline) on a scratch database seeded with ``--rows`` progress rows."""
    from app import create_app
    from app.config import Config
    from app.extensions import db
    from app.services.awarding.backfill import backfill
    from app.services.catalog import import_catalog

    with scratch_database(args.admin_url, args.keep) as url:
        app = create_app(Config(DATABASE_URL=url, SECRET_KEY="bench", TASKS_EAGER=True))
        with app.app_context():
            db.create_all()
            import_catalog(catalog_doc())
            started = time.perf_counter()
            counts = generate(url, args.rows, args.learners, args.seed)
            generated = time.perf_counter() - started
            baseline = raw_read(url, args.batch_size)
            once = partial(backfill, batch_size=args.batch_size, jobs=args.jobs)
            runs = [timed("dry_run", lambda: once(dry_run=True)), timed("backfill", once),
                    timed("rerun", once)]
            db.session.remove()
    return {"rows_per_second": runs[1]["rows_per_second"], "runs": runs, "generated": counts,
            "generate_seconds": round(generated, 1)}, baseline


def main() -> None:
    args = parse()
    measured, baseline = run(args)
    common.emit(common.report(
        "backfill", vars(args), measured, baseline,
        ratios={"backfill_vs_raw_read": common.ratio(measured["rows_per_second"],
                                                     baseline["rows_per_second"])},
        targets={"rows_per_second": ">= 20000"}))


if __name__ == "__main__":
    main()

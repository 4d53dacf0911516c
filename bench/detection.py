"""Benchmark: live detection (``evaluate_event``) per process on PostgreSQL; prints JSON.

    .venv/bin/python bench/detection.py --events 5000 --learners 100

Records each event without running detection (tasks are not eager, the
broker is in-memory and never consumed), then times ``evaluate_event`` on it
right away, as a worker would: the per-worker-process rate of live
detection, recording time excluded. The service target is >= 1,000 events/s
overall across worker processes.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.backfill import ZONES, catalog_doc, scratch_database


def record_and_evaluate(events: int, learners: int, seed: int) -> tuple[int, float]:
    """(awards made, seconds spent in ``evaluate_event``) over ``events`` random events."""
    from app.services.accounts import create_user
    from app.services.awarding.detection import evaluate_event
    from app.services.recording import ProgressInput, record_progress

    rng = random.Random(seed)
    users = [create_user(f"d{i}@example.com", "password123", "learner", rng.choice(ZONES)).id
             for i in range(learners)]
    modules = [f"c{c}-u{u}-m{m}" for c in range(20) for u in range(3) for m in range(5)]
    start = datetime(2024, 1, 1, tzinfo=UTC)
    awards, seconds = 0, 0.0
    for i in range(events):
        when = start + timedelta(hours=rng.randint(0, 24 * 60))
        kind = rng.choice(["module_completed", "module_completed", "assessment_scored",
                           "activity"])
        extra = ({"module": rng.choice(modules)} if kind == "module_completed" else
                 {"assessment": f"c{rng.randint(0, 19)}-u{rng.randint(0, 2)}-q",
                  "score": rng.choice([5, 9, 10])} if kind == "assessment_scored" else {})
        event_id = record_progress(ProgressInput(
            user_id=rng.choice(users), kind=kind, occurred_at=when, idempotency_key=f"e{i}",
            **extra)).event.id
        started = time.perf_counter()
        awards += len(evaluate_event(event_id))
        seconds += time.perf_counter() - started
    return awards, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--learners", type=int, default=100)
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()

    from app import create_app
    from app.config import Config
    from app.extensions import db
    from app.services.catalog import import_catalog

    with scratch_database(args.admin_url, keep=False) as url:
        app = create_app(Config(DATABASE_URL=url, SECRET_KEY="bench", TASKS_EAGER=False))
        with app.app_context():
            db.create_all()
            import_catalog(catalog_doc())
            awards, seconds = record_and_evaluate(args.events, args.learners, args.seed)
            db.session.remove()
    print(json.dumps({"benchmark": "detection", "database": "postgresql", "processes": 1,
                      "events": args.events, "learners": args.learners, "awards": awards,
                      "seconds": round(seconds, 2),
                      "events_per_second": round(args.events / seconds),
                      "ms_per_event": round(1000 * seconds / args.events, 2)}, indent=2))


if __name__ == "__main__":
    main()

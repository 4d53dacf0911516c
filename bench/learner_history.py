"""Detection's read of a learner with a long past: CPU per state read, by past size.

In one process on PostgreSQL: learners with ``--sizes`` past events each (in sessions of
``--per-session`` events three minutes apart, a session a day, all settled), beside
2,000 other learners' past (``Services.settle``), then
``load_batch`` of one learner, as every detection pass of theirs does, timed in CPU and
wall time over ``--reads`` reads. Baseline, same run: the learner's events fetched by one
prepared plain-SQL ``SELECT occurred_at`` on the same connection, what reading every
event costs at least. ``ratio``: state read over that fetch, per size (below 1: the read
does not grow with the past as a per-event read must). Prints one JSON document.

    .venv/bin/python bench/learner_history.py [--sizes 0,2000,10000 --reads 50]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import common

_PAST_SQL = """
INSERT INTO progress_events (user_id, kind, payload, idempotency_key, request_hash, source,
                             occurred_at, recorded_at, processed_at, attempts)
SELECT %(user)s, 'activity', '{}', 'past' || g, '', 'past',
       now() - make_interval(days => g / %(per)s, mins => (g %% %(per)s) * 3), now(), now(), 1
FROM generate_series(1, %(count)s) g
"""


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0,2000,10000", help="past events per learner")
    parser.add_argument("--per-session", type=int, default=20)
    parser.add_argument("--reads", type=int, default=50)
    return parser.parse_args()


def timed(fn: Any, reads: int) -> dict[str, float]:
    for _ in range(5):
        fn()
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(reads):
        fn()
    return {"cpu_ms": round((time.process_time() - cpu) / reads * 1000, 3),
            "wall_ms": round((time.perf_counter() - wall) / reads * 1000, 3)}


def main() -> None:
    from app.extensions import db
    from app.infra.sql import in_session
    from app.read.learner_state import Learner, load_batch
    from app.services.catalog import import_catalog
    from tests.support.catalog import catalog_doc

    args = parse()
    sizes = [int(size) for size in args.sizes.split(",")]
    measured, baseline, ratios = {}, {}, {}
    with common.Services(workers=0) as svc:
        import_catalog(catalog_doc("h", units=2, modules=10))
        people = common.bulk_learners(len(sizes), prefix="long")
        for user_id, size in zip(people, sizes, strict=True):
            common.sql(svc.database_url, _PAST_SQL,
                       {"user": user_id, "per": args.per_session, "count": size})
        svc.settle(common.HISTORY_LEARNERS)  # other learners too, as a deployed database has
        for user_id, size in zip(people, sizes, strict=True):
            def state(user_id: int = user_id) -> None:
                load_batch([Learner(user_id, "Europe/Paris")])
                db.session.rollback()

            def fetch(user_id: int = user_id) -> None:
                in_session("SELECT occurred_at FROM progress_events WHERE user_id = %s",
                           (user_id,))
                db.session.rollback()

            measured[str(size)] = timed(state, args.reads)
            baseline[str(size)] = timed(fetch, args.reads)
            ratios[str(size)] = common.ratio(measured[str(size)]["cpu_ms"],
                                             baseline[str(size)]["cpu_ms"])
    largest = str(max(sizes))
    targets = {"state_read_vs_fetch_at_largest": "<= 1.5",
               "met": bool(ratios[largest] is not None and ratios[largest] <= 1.5)}
    common.emit(common.report("learner_history", vars(args), measured, baseline,
                              {"state_vs_fetch_cpu": ratios}, targets))


if __name__ == "__main__":
    main()

"""Recording alone: progress events stored per second, one by one and in batches.

In one process on a scratch PostgreSQL database (Redis as the broker, no worker), rounds
alternate three sides, each storing ``--events`` module completions of fresh keys:
``single``, ``record_progress`` one after another (what REST and gRPC do per request);
``many``, ``record_many`` in batches of ``--batch`` (what xAPI does); and the floor,
single-row committed INSERTs on one psycopg connection (throughput.py's baseline). Each
event is validated, stored with its fact and roster row, and enqueued, as in production.
Ratios are to the floor of the same round; the medians are over rounds. Prints one JSON
document.

    .venv/bin/python bench/recording.py [--events 2000 --rounds 3 --batch 100]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import common
from throughput import plan_events, run_baseline, seed


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000, help="per side and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=100, help="events per record_many call")
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--courses", type=int, default=10)
    return parser.parse_args()


def inputs(plan: list[tuple[int, str]], tag: str) -> list[Any]:
    from app.services.recording import ProgressInput

    return [ProgressInput(user_id=user_id, kind="module_completed", occurred_at=None,
                          idempotency_key=f"{tag}{index}", module=module, source="bench")
            for index, (user_id, module) in enumerate(plan)]


def timed(work: Callable[[], int]) -> dict[str, Any]:
    started, cpu = time.monotonic(), time.process_time()
    count = work()
    elapsed = time.monotonic() - started
    return {"events": count, "per_s": round(count / elapsed, 1),
            "cpu_us_per_event": round(1e6 * (time.process_time() - cpu) / count, 1)}


def single(items: list[Any]) -> int:
    from app.services.recording import record_progress

    created = sum(record_progress(item).created for item in items)
    assert created == len(items), f"{len(items) - created} events not stored"
    return created


def many(items: list[Any], batch: int) -> Callable[[], int]:
    def work() -> int:
        from app.services.recording import record_many

        created = sum(r.created for i in range(0, len(items), batch)
                      for r in record_many(items[i:i + batch]))
        assert created == len(items), f"{len(items) - created} events not stored"
        return created
    return work


def side(runs: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return {"per_s": statistics.median(r[name]["per_s"] for r in runs),
            "cpu_us_per_event": statistics.median(r[name]["cpu_us_per_event"] for r in runs),
            "ratio_to_floor": statistics.median(r[name]["per_s"] / r["floor"]["per_s"]
                                                for r in runs)}


def main() -> None:
    args = parse()
    per_learner = -(-args.events * args.rounds * 2 // args.learners)
    with common.Services(workers=0) as svc:
        people = seed(args.learners, args.courses, per_learner)
        plan = plan_events(people, args.events * args.rounds * 2)
        runs = []
        for index in range(args.rounds):
            chunk = plan[2 * index * args.events:(2 * index + 2) * args.events]
            one, lot = inputs(chunk[: args.events], f"s{index}-"), inputs(
                chunk[args.events:], f"m{index}-")
            sides = {"single": lambda one=one: single(one), "many": many(lot, args.batch)}
            order = ["single", "many"] if index % 2 == 0 else ["many", "single"]
            run = {name: timed(sides[name]) for name in order}
            run["floor"] = run_baseline(svc.database_url, args.events, f"floor{index}")
            runs.append(run)
    measured = {"single": side(runs, "single"), "many": side(runs, "many"), "rounds": runs}
    baseline = {"per_s": statistics.median(r["floor"]["per_s"] for r in runs)}
    ratios = {"single_vs_floor": round(measured["single"]["ratio_to_floor"], 3),
              "many_vs_floor": round(measured["many"]["ratio_to_floor"], 3)}
    common.emit(common.report("recording", vars(args), measured, baseline, ratios,
                              {"note": "no target of its own; compare commits (ab_commits.py)"}))


if __name__ == "__main__":
    main()

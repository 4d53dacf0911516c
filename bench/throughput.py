"""Throughput: sustained progress events per second evaluated and awarded by real workers.

``--mode drain`` (default): phase 1 records ``--events`` module completions
through the progress service (the same call REST and gRPC make), enqueuing a
task each, with no worker running. Phase 2 starts the workers and measures
how fast they drain that backlog: events / (last processed_at - first
processed_at), every event evaluated and its awards stored; ``all_tasks``
runs the clock on from the first processed_at until the queue is empty and
nothing is unacked, and ``tasks`` counts what recording enqueued (one per
gate shard with events waiting: ``app.infra.gate``). The target counts
the slower of the two.

``--mode sustained``: the workers run while ``--writers`` processes record the
events as fast as they can (as web processes would), so recording and
evaluation share the machine: events / (first recorded_at -> last
processed_at), the lag recorded_at -> processed_at, and ``tasks``, the
detection tasks the workers ran (Celery's count).

Both modes report ``cpu_ms_per_event``: CPU milliseconds per event spent by
the writers (sustained), the worker processes, and the whole PostgreSQL and
Redis servers (so read those on a quiet box) — the budget that decides what two
cores can sustain: at 1,000 events/s, ``total`` ms per event is that many cores.

Before the processes start, the scratch database gets ``--history`` other
learners' settled past and is analyzed, as a deployed one is (``Services.settle``).

Baseline, same run and database server: raw single-row committed INSERTs per
second on one connection. Peer (drain mode), same run: as many no-op Celery
tasks as events through the same broker, pool and settings
(``bench/celery_noop.py``) — what one task per event could reach at best.
Prints one JSON document.

    .venv/bin/python bench/throughput.py [--events 5000 --workers 1 --concurrency 2]
    .venv/bin/python bench/throughput.py --mode sustained --writers 2
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import sys
import time
from typing import Any

import badge_set
import common
import profiling
from cpu import CpuMeter, per_event_ms, roots_named

from tests.support.services import Worker


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--courses", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=common.WORKER_THREADS,
                        help="worker threads (default: the configured WORKER_CONCURRENCY)")
    parser.add_argument("--pool", default=None,
                        help="celery pool: threads|prefork|gevent (default: the configured one)")
    parser.add_argument("--timeout", type=float, default=300.0, help="hard stop, seconds")
    parser.add_argument("--mode", choices=("drain", "sustained"), default="drain")
    parser.add_argument("--writers", type=int, default=2, help="sustained: writer processes")
    parser.add_argument("--setting", action="append", default=[], metavar="NAME=VALUE",
                        help="extra ACHIEVEMENTS_* setting for every process, e.g. "
                             "DETECTION_GATE_SHARDS=16")
    common.add_history_option(parser)
    parser.add_argument("--badges", type=int, default=0,
                        help="publish this many author-defined badges first (bench/badge_set.py)")
    parser.add_argument("--profile", metavar="DIR", default=None,
                        help="sustained: py-spy the writers and workers while they run: "
                             "DIR/<process>.svg and a per-stage table (profiling.py)")
    return parser.parse_args()


def seed(learners: int, courses: int, per_learner: int,
         badges: int = 0) -> list[tuple[int, list[str]]]:
    """``courses`` courses of 10-module units, ``badges`` published badges; learner i takes
    course i % courses."""
    from app.services.catalog import import_catalog
    from tests.support.catalog import catalog_doc, module_keys

    units = -(-per_learner // 10)
    keys = []
    for index in range(courses):
        document = catalog_doc(f"t{index}", units=units, modules=10)
        import_catalog(document)
        keys.append(module_keys(document)[:per_learner])
    badge_set.publish(badges, courses, per_learner)
    ids = common.bulk_learners(learners)
    return [(user_id, keys[i % courses]) for i, user_id in enumerate(ids)]


def plan_events(people: list[tuple[int, list[str]]], events: int) -> list[tuple[int, str]]:
    """(learner, module) pairs, round-robin over learners."""
    return [(user_id, mods[i]) for i in range(len(people[0][1])) for user_id, mods in people
            if i < len(mods)][:events]


def record_all(plan: list[tuple[int, str]], offset: int = 0) -> dict[str, Any]:
    """Record the events through the progress service, one after another."""
    from app.services.recording import ProgressInput, record_progress

    started, cpu = time.monotonic(), time.process_time()
    for index, (user_id, module) in enumerate(plan, start=offset):
        record_progress(ProgressInput(user_id=user_id, kind="module_completed", occurred_at=None,
                                      idempotency_key=f"t{index}", module=module,
                                      source="bench"))
    elapsed = time.monotonic() - started
    return {"events": len(plan), "seconds": round(elapsed, 2),
            "per_s": round(len(plan) / elapsed, 1),
            "cpu_seconds": round(time.process_time() - cpu, 3)}


def writer_process(settings: dict[str, str], plan: list[tuple[int, str]], offset: int,
                   profile: str | None = None, name: str = "writer") -> dict[str, Any]:
    """A writer with its own app and connections, as a web process has; sampled by py-spy
    from its first event to its last when ``profile`` names a directory."""
    from app import create_app
    from tests.support.services import service_env

    os.environ.update(service_env(settings))
    with create_app().app_context():
        profiler = profiling.Profiler(profile)
        profiler.attach(name, os.getpid())
        written = record_all(plan, offset)
        return {**written, "profile": profiler.stop(len(plan))}


def cpu_meter(svc: common.Services) -> CpuMeter:
    """Worker, PostgreSQL and Redis process trees (the whole servers: read on a quiet box)."""
    return CpuMeter({"workers": [worker.process.pid for worker in svc.workers],
                     "postgres": roots_named("postgres"),
                     "redis": roots_named("redis-server")}).start()


def sustained(svc: common.Services, plan: list[tuple[int, str]], writers: int,
              deadline: float, profile: str | None = None) -> dict[str, Any]:
    """Workers first, then ``writers`` processes recording in parallel; wait for the drain."""
    for index in range(svc.counts["workers"]):
        svc.start_worker(f"bench{index + 1}")
    meter = cpu_meter(svc)
    profiler = profiling.Profiler(profile)
    for index, worker in enumerate(svc.workers):
        profiler.attach(f"worker{index + 1}", worker.pid)
    slices = [(svc.settings, plan[i::writers], i * len(plan), profile, f"writer{i + 1}")
              for i in range(writers)]
    with multiprocessing.get_context("spawn").Pool(writers) as pool:
        written = pool.starmap(writer_process, slices)
    wait_drained(svc.database_url, deadline)
    profiled = profiler.stop(len(plan))
    spent = {"writers": sum(w["cpu_seconds"] for w in written), **meter.spent()}
    wait_tasks_done(svc.settings, deadline)
    tasks = tasks_run(svc)
    first, last, lag50, lag99, awards = common.sql(svc.database_url, f"""
        SELECT extract(epoch FROM min(recorded_at)), extract(epoch FROM max(processed_at)),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY processed_at - recorded_at),
               percentile_cont(0.99) WITHIN GROUP (ORDER BY processed_at - recorded_at),
               {common.RUN_AWARDS}
        FROM progress_events WHERE {common.RUN_EVENTS}""")[0]
    seconds = float(last) - float(first)
    return {"events": len(plan), "tasks": tasks, "awards": awards, "seconds": round(seconds, 2),
            "per_s": round(len(plan) / seconds, 1),
            "lag_ms": {"p50": round(lag50.total_seconds() * 1000, 1),
                       "p99": round(lag99.total_seconds() * 1000, 1)},
            "ingest": {"writers": writers,
                       "per_s": round(sum(w["per_s"] for w in written), 1)},
            "cpu_ms_per_event": per_event_ms(spent, len(plan)),
            **({"profile": merge_profiles(profiled, written)} if profiled else {})}


def merge_profiles(workers: dict[str, Any], written: list[dict[str, Any]]) -> dict[str, Any]:
    """One table: the writers' processes (each profiled itself) beside the workers'."""
    processes = {name: table for w in written for name, table in w["profile"]["processes"].items()}
    return {**workers, "processes": {**processes, **workers["processes"]}}


def wait_drained(url: str, deadline: float) -> None:
    def left() -> int:
        return common.sql(url, "SELECT count(*) FROM progress_events "
                          "WHERE processed_at IS NULL")[0][0]

    common.wait_for(lambda: left() == 0, timeout=max(1.0, deadline - time.monotonic()),
                    interval=0.25, what="the backlog to drain")


def drain(svc: common.Services, events: int, deadline: float) -> dict[str, Any]:
    """Settled rate (first → last ``processed_at``), then the same until the queue is empty.

    ``tasks`` is what recording queued for those events: one per learner with
    events waiting, thanks to the detection gate (``app.infra.gate``).
    """
    tasks = queued_tasks(svc.settings)
    for index in range(svc.counts["workers"]):
        svc.start_worker(f"bench{index + 1}")
    meter = cpu_meter(svc)  # after start-up; what was evaluated before is not charged
    left = common.sql(svc.database_url, "SELECT count(*) FROM progress_events "
                      "WHERE processed_at IS NULL")[0][0]
    wait_drained(svc.database_url, deadline)
    spent = meter.spent()
    wait_tasks_done(svc.settings, deadline)
    spent_all, done = meter.spent(), time.time()
    first, last, awards = common.sql(svc.database_url, f"""
        SELECT extract(epoch FROM min(processed_at)), extract(epoch FROM max(processed_at)),
               {common.RUN_AWARDS}
        FROM progress_events WHERE {common.RUN_EVENTS}""")[0]
    seconds = float(last) - float(first)
    return {"events": events, "tasks": tasks, "awards": awards, "seconds": round(seconds, 2),
            "per_s": round(events / seconds, 1) if seconds else None,
            "cpu_ms_per_event": per_event_ms(spent, left) if left else None,
            "all_tasks": {"seconds": round(done - float(first), 2),
                          "per_s": round(events / (done - float(first)), 1),
                          "cpu_ms_per_event": per_event_ms(spent_all, left) if left else None}}


def tasks_run(svc: common.Services) -> int | None:
    """Detection tasks the workers ran (Celery's own count; None if a worker did not answer)."""
    from app.services.recording.dispatch import EVALUATE_TASK

    stats = svc.app.extensions["celery"].control.inspect(timeout=2.0).stats() or {}
    if len(stats) < len(svc.workers):
        return None
    return sum(worker.get("total", {}).get(EVALUATE_TASK, 0) for worker in stats.values())


def queued_tasks(settings: dict[str, str]) -> int:
    import redis

    return int(redis.Redis.from_url(settings["REDIS_URL"]).llen(settings["CELERY_QUEUE"]))


def wait_tasks_done(settings: dict[str, str], deadline: float) -> None:
    """Until the queue is empty and no delivered task is unacknowledged (``acks_late``)."""
    import redis

    client = redis.Redis.from_url(settings["REDIS_URL"])

    def idle() -> bool:
        return client.llen(settings["CELERY_QUEUE"]) == 0 and client.hlen("unacked") == 0

    common.wait_for(idle, timeout=max(1.0, deadline - time.monotonic()), interval=0.05,
                    what="every queued task to finish")


class NoopWorker(Worker):
    """A ``celery worker`` of the peer's app (bench/celery_noop.py) on the peer's queue."""

    def command(self) -> list[str]:
        return [sys.executable, "-m", "celery", "-A", "bench.celery_noop", "worker",
                "-Q", self.settings["CELERY_QUEUE"], "-c", str(self.concurrency),
                "--without-gossip", "--without-mingle", "-l", "INFO"]


def bare_celery(svc: common.Services, count: int, deadline: float) -> dict[str, Any]:
    """Peer: ``count`` no-op tasks queued, then drained by one worker like ours."""
    import celery_noop

    settings = celery_noop.settings_for(svc.settings)
    queued_in = celery_noop.fill(settings, count)
    worker = NoopWorker(settings, concurrency=svc.counts["concurrency"], name="noop").start()
    try:
        began = time.time()
        wait_tasks_done(settings, deadline)
        seconds = time.time() - began
    finally:
        worker.stop()
    return {"tasks": count, "seconds": round(seconds, 2), "per_s": round(count / seconds, 1),
            "enqueue_per_s": round(count / queued_in, 1)}


def run_baseline(url: str, count: int, table: str = "bench_inserts") -> dict[str, Any]:
    """Single-row INSERTs, each committed, one connection: the database's own pace."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {table} (id bigserial PRIMARY KEY, user_id int, "
                     "payload jsonb, at timestamptz NOT NULL DEFAULT now())")
        started = time.monotonic()
        for index in range(count):
            conn.execute(f"INSERT INTO {table} (user_id, payload) VALUES (%s, %s)",
                         (index % 200, '{"module": "m"}'))
        elapsed = time.monotonic() - started
    return {"inserts": count, "seconds": round(elapsed, 2), "per_s": round(count / elapsed, 1)}


def main() -> None:
    args = parse()
    deadline = time.monotonic() + args.timeout
    per_learner = -(-args.events // args.learners)
    extra = dict(setting.split("=", 1) for setting in args.setting)
    with common.Services(workers=args.workers, concurrency=args.concurrency,
                         pool=args.pool, **extra) as svc:
        people = seed(args.learners, args.courses, per_learner, args.badges)
        plan = plan_events(people, args.events)
        svc.settle(args.history)
        peer = None
        if args.mode == "sustained":
            measured = sustained(svc, plan, args.writers, deadline, args.profile)
        else:
            ingest = record_all(plan)
            measured = {**drain(svc, ingest["events"], deadline), "ingest": ingest}
            peer = bare_celery(svc, ingest["events"], deadline)
        baseline = run_baseline(svc.database_url, min(args.events, 5000))
    ratios = {"evaluated_vs_inserts": common.ratio(measured["per_s"], baseline["per_s"])}
    slowest = min(measured["per_s"] or 0, measured.get("all_tasks", {}).get("per_s", math.inf))
    if "all_tasks" in measured:
        ratios["all_tasks_vs_inserts"] = common.ratio(measured["all_tasks"]["per_s"],
                                                      baseline["per_s"])
    if peer is not None:
        measured["peer_bare_celery"] = peer
        ratios["all_tasks_vs_bare_celery"] = common.ratio(measured["all_tasks"]["per_s"],
                                                          peer["per_s"])
    targets = {"events_per_s": 1000, "ratio_to_baseline": 0.25,
               "met": bool(slowest >= 1000 and slowest / baseline["per_s"] >= 0.25)}
    common.emit(common.report("throughput", vars(args), measured, baseline, ratios, targets))


if __name__ == "__main__":
    main()

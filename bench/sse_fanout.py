"""SSE fan-out: gunicorn+gevent web processes holding N streams, against flask-sse.

Prints ONE JSON document (``common.report``): for this service and for
flask-sse in the same run, under the same fd limit, the same ``--workers`` and
the same default-configured Redis: connections held, memory per connection
(worker RSS delta / held), Redis connections used, p50/p99 delivery latency of
an award to its learner while the streams are open, and the ratios.

"At least 10x flask-sse" is read as capacity: connections held under the same limits. A
flask-sse stream needs its own Redis connection (Redis maxclients defaults to
10,000 for the whole deployment) and so two fds in its worker; ours need one fd
and share one subscriber per worker. With ``--workers 1`` it is per web process.

Everything runs on 127.0.0.1: a private ``redis-server`` on a free port, a temp
SQLite database (learners inserted in bulk, session cookies signed with the
app's key, as the log-in form would set them), gunicorn ``-k gevent -w 1``,
and client fleets (``bench/sse_fleet.py``) of ``--per-fleet`` streams, each from
its own source address. Bounded by ``--time-limit``; every process ends with it.

    flock /tmp/bench.lock .venv/bin/python bench/sse_fanout.py --connections 100000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

from common import ROOT, emit, loadavg, percentiles, ratio, report, wait_for
from sse_apps import FSSE_APP, WARM_UP, FlaskSsePublisher, make_award, our_app, seed_and_sign
from sse_procs import (
    Clients,
    open_fds,
    redis_info,
    rss_kb,
    set_fd_limit,
    start_gunicorn,
    start_redis,
    stop,
    worker_pids,
)

STREAM = "/api/v1/achievements/stream"


def measure_latency(clients: Clients, send: Callable[[int], float], samples: int,
                    deadline: float) -> dict[str, Any]:
    """Sequential deliveries, timed from the start of the award and from its publish."""
    total: list[float] = []
    from_publish: list[float] = []
    attempted = 0
    for n in range(samples):
        if time.monotonic() > deadline:
            break
        attempted += 1
        started = time.monotonic()
        published = send(n)
        with suppress(AssertionError):
            wait_for(lambda n=n: n in clients.received, timeout=5, interval=0.001,
                     what="delivery")
        if n in clients.received:
            total.append((clients.received[n] - started) * 1000)
            from_publish.append((clients.received[n] - published) * 1000)
        time.sleep(0.02)
    return {"total_ms": percentiles(total), "from_publish_ms": percentiles(from_publish),
            "attempted": attempted, "lost": attempted - len(total)}


def hold(clients: Clients, pids: list[int], items: list[tuple[str, str, bool]], marker: str | None,
         redis_url: str, settle: float, reap: Callable[[], None] = lambda: None
         ) -> dict[str, Any]:
    """Open the streams and measure what holding them costs the one worker (after a
    warm-up, so lazy imports and first-request caches are not charged to the streams)."""
    warm_up(clients, items[:WARM_UP], marker, reap, pause=settle * 0.4)
    baseline = rss_kb(pids)
    opened = clients.open(items, marker)
    subscribers = settled(lambda: redis_info(redis_url)["subscribers"], clients.deadline,
                          quiet=settle)
    held_rss, info = rss_kb(pids), redis_info(redis_url)
    held = opened["held"] if marker else subscribers  # flask-sse says nothing until a message
    return {"connections_requested": len(items), **opened, "connections_held": held,
            "worker_open_fds": open_fds(pids), "worker_rss_baseline_mb": round(baseline / 1024, 1),
            "worker_rss_mb": round(held_rss / 1024, 1),
            "memory_per_connection_kb": round((held_rss - baseline) / max(held, 1), 2),
            "redis_connections_for_streams": subscribers, "redis_maxclients": info["maxclients"],
            "redis_rejected_connections": info["rejected_connections"]}


def warm_up(clients: Clients, items: list[tuple[str, str, bool]], marker: str | None,
            reap: Callable[[], None], pause: float) -> None:
    """Open a few streams (as fleet 0: its cookies), close them, and wait until the
    server let them go (flask-sse notices a gone client only when it writes: the
    ``reap`` publishes on their channels)."""
    fleet = Clients(clients.port, clients.per_fleet, clients.deadline)
    fleet.open([(path, cookie, False) for path, cookie, _ in items], marker)
    time.sleep(pause)
    fleet.close()
    time.sleep(pause)
    reap()
    time.sleep(pause * 1.5)


def settled(count: Callable[[], int], deadline: float, quiet: float = 5.0) -> int:
    """The count once it stopped changing for ``quiet`` seconds (or at the deadline)."""
    last, since = count(), time.monotonic()
    while time.monotonic() - since < quiet and time.monotonic() < deadline:
        time.sleep(0.5)
        now = count()
        if now != last:
            last, since = now, time.monotonic()
    return last


def run_ours(args: argparse.Namespace, workdir: Path, redis_url: str,
             deadline: float) -> dict[str, Any]:
    n = args.connections
    fleets = -(-n // args.per_fleet)
    app, env = our_app(workdir, redis_url)
    learners, cookie = seed_and_sign(app, args.learners or n, fleets)
    items = [(STREAM, cookie(learners[i % len(learners)], i // args.per_fleet), i < args.probes)
             for i in range(n)]
    master, port = start_gunicorn("wsgi:app", env, n, ROOT, workdir / "ours.log", args.workers,
                                  args.worker_class)
    clients = Clients(port, args.per_fleet, deadline)
    try:
        result = {"server": f"gunicorn -k {args.worker_class} -w {args.workers} wsgi:app",
                  "learners": len(learners),
                  **hold(clients, worker_pids(master.pid, args.workers), items, ": connected",
                         redis_url, args.settle)}
        send = lambda k: make_award(app, learners[k % args.probes], k)  # noqa: E731
        result["delivery"] = measure_latency(clients, send, args.awards, deadline)
        result["delivery"]["includes"] = "DB insert + commit + Redis publish + DB replay read"
        return result
    finally:
        clients.close()
        stop(master)


def run_flask_sse(args: argparse.Namespace, workdir: Path, redis_url: str,
                  deadline: float) -> dict[str, Any]:
    n = min(args.connections, args.flask_sse_connections)
    (workdir / "fsse_app.py").write_text(FSSE_APP)
    env = {**os.environ, "FSSE_REDIS_URL": redis_url}
    master, port = start_gunicorn("fsse_app:app", env, n, workdir, workdir / "fsse.log",
                                  args.workers)
    clients = Clients(port, args.per_fleet, deadline)
    publisher = FlaskSsePublisher(redis_url, args.probes)
    items = [(f"/stream?channel=user-{i}", "", i < args.probes) for i in range(n)]
    try:
        result = {"server": f"gunicorn -k gevent -w {args.workers}, flask_sse blueprint",
                  **hold(clients, worker_pids(master.pid, args.workers), items, None,
                         redis_url, args.settle, publisher.reap)}
        result["delivery"] = measure_latency(clients, publisher.send, args.awards, deadline)
        result["delivery"]["includes"] = "Redis publish only (no database)"
        return result
    finally:
        clients.close()
        stop(master)


def compare(ours: dict[str, Any], fsse: dict[str, Any]) -> dict[str, Any]:
    return {
        "capacity_ours_over_flask_sse": ratio(ours["connections_held"], fsse["connections_held"]),
        "memory_per_connection_flask_sse_over_ours": ratio(fsse["memory_per_connection_kb"],
                                                           ours["memory_per_connection_kb"]),
        "redis_connections_flask_sse_over_ours": ratio(
            fsse["redis_connections_for_streams"], max(ours["redis_connections_for_streams"], 1)),
        "p99_delivery_ours_over_flask_sse": ratio(ours["delivery"]["total_ms"].get("p99"),
                                                  fsse["delivery"]["total_ms"].get("p99")),
    }


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--flask-sse-connections", type=int, default=20_000,
                        help="offered to flask-sse (2x Redis's default maxclients)")
    parser.add_argument("--learners", type=int, default=0, help="0: one learner per stream")
    parser.add_argument("--probes", type=int, default=20, help="streams whose delivery is timed")
    parser.add_argument("--awards", type=int, default=200, help="timed deliveries per server")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn gevent workers")
    parser.add_argument("--worker-class", default="gevent",
                        help="gunicorn worker class of this service (flask-sse: gevent)")
    parser.add_argument("--per-fleet", type=int, default=15_000,
                        help="streams per client process (each has the same fd limit)")
    parser.add_argument("--fd-limit", type=int, default=0,
                        help="0: connections + 5000 (never below the hard limit in force)")
    parser.add_argument("--time-limit", type=float, default=900, help="seconds for the whole run")
    parser.add_argument("--settle", type=float, default=5.0,
                        help="seconds the held count must stay still before memory is read "
                             "(the warm-up's pauses scale with it)")
    return parser.parse_args()


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # so every server is stopped
    args = parse_args()
    started = time.monotonic()
    limit = set_fd_limit(args.fd_limit or args.connections + 5000)
    workdir = Path(tempfile.mkdtemp(prefix="sse-fanout-"))
    redis_process, redis_url = start_redis(workdir)
    redis_info(redis_url)  # opens the admin connection before any stream
    try:
        ours = run_ours(args, workdir, redis_url, started + args.time_limit * 0.7)
        load_ours = loadavg()
        print(json.dumps({"ours_so_far": ours}), file=sys.stderr, flush=True)
        fsse = run_flask_sse(args, workdir, redis_url, started + args.time_limit)
    finally:
        stop(redis_process)
        shutil.rmtree(workdir, ignore_errors=True)
    params = {**vars(args), "fd_limit": limit, "loadavg_after_ours": load_ours,
              "interpretation": __doc__.split("\n\n")[2].replace("\n", " ")}
    targets = {"connections": ">= 10000", "memory_per_connection_kb": "<= 20",
               "p99_delivery_ms": "<= 100", "capacity_over_flask_sse": ">= 10"}
    document = report("sse_fanout", params, ours, fsse, compare(ours, fsse), targets)
    document["elapsed_seconds"] = round(time.monotonic() - started, 1)
    emit(document)


if __name__ == "__main__":
    main()

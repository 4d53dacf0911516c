"""End-to-end latency: progress POST -> award stored by a Celery worker -> SSE event received.

Real processes on 127.0.0.1: gunicorn (gevent) web app, celery worker(s),
PostgreSQL, Redis. Each learner holds one SSE connection; events are sent at
a steady rate, round-robin over learners, each completing a new module, and
the latency of an event is from just before its POST to the arrival of its
``module_complete`` award on the learner's stream. Baseline, same run: a bare
committed PostgreSQL INSERT followed by a Redis PUBLISH, timed to the
subscriber's receipt. Peer, same run (``peer_bare_stack``): the same stack with nothing
of ours: a POST to Flask under the same gunicorn commits one row and sends a Celery task
(``rest_bare.py``), which a worker with our broker settings runs (``celery_noop.py``:
one committed INSERT, then PUBLISH), timed to a Redis subscriber as the floor is — so
its ratio to the floor is what the stack alone costs.
Before the processes start, the scratch database gets ``--history`` other
learners' settled past and is analyzed, as a deployed one is (``Services.settle``).
Prints one JSON document.

    .venv/bin/python bench/e2e_latency.py [--events 1000 --rate 50 --learners 20]
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import common
import profiling
import web_client

PASSWORD = "bench-password"


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50.0, help="events per second")
    parser.add_argument("--learners", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=common.WORKER_THREADS)
    parser.add_argument("--timeout", type=float, default=300.0, help="hard stop, seconds")
    common.add_history_option(parser)
    parser.add_argument("--peer", action=argparse.BooleanOptionalAction, default=True,
                        help="also run the bare-stack peer (peer_bare_stack)")
    parser.add_argument("--profile", metavar="DIR", default=None,
                        help="py-spy the gunicorn worker(s) and Celery worker(s) while events "
                             "are sent: DIR/<process>.svg and a per-stage table (profiling.py)")
    return parser.parse_args()


def seed(learners: int, per_learner: int) -> tuple[str, list[tuple[int, str, list[str]]]]:
    """One course per learner with ``per_learner`` modules; returns a token and learners."""
    from app.services.accounts import create_token, create_user
    from app.services.catalog import import_catalog
    from tests.support.catalog import catalog_doc, module_keys

    units = math.ceil(per_learner / 10)
    people = []
    for index in range(learners):
        document = catalog_doc(f"b{index}", units=units, modules=10)
        import_catalog(document)
        user = create_user(f"bench{index}@example.com", PASSWORD)
        people.append((user.id, user.email, module_keys(document)[:per_learner]))
    return create_token("bench", ["progress:write", "achievements:read"])[1], people


class Clock:
    """Send and receive times per award key, shared by the sender and the SSE threads."""

    def __init__(self) -> None:
        self.sent: dict[str, float] = {}
        self.received: dict[str, float] = {}
        self.wall: dict[str, tuple[float, float]] = {}  # key -> (sent, received) epoch seconds
        self.post_ms: list[float] = []
        self.lock = threading.Lock()

    def on_award(self, award: dict[str, Any], at: float) -> None:
        with self.lock:
            key = award["dedupe_key"]
            if key not in self.received:
                self.received[key] = at
                self.wall[key] = (self.wall.get(key, (0.0, 0.0))[0], time.time())

    def latencies(self) -> list[float]:
        with self.lock:
            return [(self.received[k] - t) * 1000 for k, t in self.sent.items()
                    if k in self.received]


class Poster:
    """The load generator's POSTs, on one kept-alive ``http.client`` connection.

    ``requests`` cost ~1.8 ms of the generator's CPU per POST on this box, inside
    the measured latency and competing for the GIL with the SSE reader threads;
    this is ~0.3 ms. The server sees the same request either way.
    """

    def __init__(self, base_url: str, token: str) -> None:
        parts = urlsplit(base_url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def post(self, user_id: int, kind: str, key: str, module: str | None = None) -> None:
        body = {"user_id": user_id, "kind": kind, "idempotency_key": key}
        if module:
            body["module"] = module
        self.connection.request("POST", "/api/v1/progress-events", body=json.dumps(body),
                                headers=self.headers)
        response = self.connection.getresponse()
        text = response.read()
        if response.status != 202:
            raise RuntimeError(f"POST failed: {response.status} {text[:200]!r}")

    def close(self) -> None:
        self.connection.close()


def run_pipeline(args: argparse.Namespace, deadline: float) -> dict[str, Any]:
    per_learner = math.ceil(args.events / args.learners)
    with common.Services(workers=args.workers, concurrency=args.concurrency, web=True) as svc:
        token, people = seed(args.learners, per_learner)
        svc.settle(args.history)
        svc.start_processes()
        base = svc.web.url
        clock = Clock()
        listeners = [web_client.SSEListener(web_client.login(base, email, PASSWORD), base,
                                        clock.on_award) for _, email, _ in people]
        for listener in listeners:
            listener.connected.wait(10)
        sender = Poster(base, token)
        for user_id, _, _ in people:  # warm-up: connections, worker pools, caches
            sender.post(user_id, "activity", f"warm-{user_id}")
        schedule = [(p, m) for i in range(per_learner) for p in people if i < len(p[2])
                    for m in [p[2][i]]][: args.events]
        profiler = attach_profiler(args.profile, svc)
        for index in common.paced(len(schedule), args.rate, deadline):
            (user_id, _, _), module = schedule[index]
            key, started = f"module_complete:{module}", time.monotonic()
            clock.sent[key], clock.wall[key] = started, (time.time(), 0.0)
            sender.post(user_id, "module_completed", f"e{index}", module)
            clock.post_ms.append((time.monotonic() - started) * 1000)
        common.wait_for(lambda: len(clock.latencies()) >= len(clock.sent),
                        timeout=max(1.0, min(60.0, deadline - time.monotonic())),
                        what="every award on its SSE stream")
        profile = profiler.stop(len(clock.sent))
        sender.close()
        for listener in listeners:
            listener.stop()
        return {**common.percentiles(clock.latencies()), "sent": len(clock.sent),
                "stages_ms": stages(svc.database_url, clock),
                **({"profile": profile} if profile else {})}


def attach_profiler(directory: str | None, svc: common.Services) -> profiling.Profiler:
    """py-spy on each gunicorn worker and each Celery worker (its pool children too)."""
    profiler = profiling.Profiler(directory)
    assert svc.web is not None
    for index, pid in enumerate(svc.web.children()):
        profiler.attach(f"web{index + 1}", pid)
    for index, worker in enumerate(svc.workers):
        profiler.attach(f"worker{index + 1}", worker.pid)
        for child, pid in enumerate(worker.children()):
            profiler.attach(f"worker{index + 1}-{child + 1}", pid)
    return profiler


def stages(url: str, clock: Clock) -> dict[str, Any]:
    """Where the time goes: POST, queue + detection, publish, delivery to the stream."""
    rows = common.sql(url, """
        SELECT a.dedupe_key, extract(epoch FROM e.recorded_at), extract(epoch FROM a.earned_at),
               extract(epoch FROM a.published_at)
        FROM achievements a JOIN progress_events e ON e.id = a.source_event_id
        WHERE a.achievement_type = 'module_complete'""")
    parts: dict[str, list[float]] = {"recorded_to_earned": [], "earned_to_published": [],
                                     "published_to_received": []}
    for key, recorded, earned, published in rows:
        if key in clock.wall and published is not None:
            parts["recorded_to_earned"].append((float(earned) - float(recorded)) * 1000)
            parts["earned_to_published"].append((float(published) - float(earned)) * 1000)
            parts["published_to_received"].append((clock.wall[key][1] - float(published)) * 1000)
    summary = {name: common.percentiles(values) for name, values in parts.items()}
    return {"post": common.percentiles(clock.post_ms), **summary}


def run_baseline(count: int, rate: float, deadline: float) -> dict[str, Any]:
    """INSERT (committed) then PUBLISH; latency to the subscriber's receipt."""
    import psycopg
    import redis

    with common.scratch_database() as url, psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE bench_roundtrip (id bigserial PRIMARY KEY, body text, "
                     "at timestamptz NOT NULL DEFAULT now())")
        settings = common.redis_settings()
        client = redis.Redis.from_url(settings["REDIS_URL"])
        channel = f"{settings['CHANNEL_PREFIX']}:baseline"
        received: dict[int, float] = {}
        pubsub = client.pubsub()
        pubsub.subscribe(channel)
        pubsub.get_message(timeout=5)  # the subscribe confirmation

        def listen() -> None:
            while len(received) < count and time.monotonic() < deadline:
                message = pubsub.get_message(timeout=1.0)
                if message and message["type"] == "message":
                    received[int(message["data"])] = time.monotonic()

        listener = common.in_thread(listen, "baseline-subscriber")
        sent: dict[int, float] = {}
        for index in common.paced(count, rate, deadline):
            started = time.monotonic()
            row = conn.execute("INSERT INTO bench_roundtrip (body) VALUES (%s) RETURNING id",
                               (f"event {index}",)).fetchone()
            client.publish(channel, row[0])
            sent[row[0]] = started
        listener.join(timeout=10)
        pubsub.close()
        samples = [(received[i] - t) * 1000 for i, t in sent.items() if i in received]
        return {**common.percentiles(samples), "sent": len(sent)}


def run_stack_peer(count: int, rate: float, deadline: float) -> dict[str, Any]:
    """POST /bare-task (INSERT, Celery send) -> worker (INSERT, PUBLISH) -> subscriber."""
    import celery_noop
    import redis
    from rest_bare import serving
    from throughput import NoopWorker

    from tests.support.services import free_port

    with common.scratch_database() as url:
        settings = celery_noop.settings_for({"DATABASE_URL": url, **common.redis_settings()})
        env = {f"ACHIEVEMENTS_{key}": value for key, value in settings.items()}
        received: dict[int, float] = {}
        pubsub = redis.Redis.from_url(settings["REDIS_URL"]).pubsub()
        pubsub.subscribe(celery_noop.bare_channel(settings["CHANNEL_PREFIX"]))
        pubsub.get_message(timeout=5)

        def listen() -> None:
            while len(received) < count and time.monotonic() < deadline:
                message = pubsub.get_message(timeout=1.0)
                if message and message["type"] == "message":
                    received[int(message["data"])] = time.monotonic()

        worker = NoopWorker(settings, concurrency=common.WORKER_THREADS, name="bare").start()
        try:
            with serving(url, env, free_port()) as base:
                parts = urlsplit(base)
                client = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
                listener = common.in_thread(listen, "peer-subscriber")
                sent: dict[int, float] = {}
                for index in common.paced(count, rate, deadline):
                    started = time.monotonic()
                    client.request("POST", "/bare-task", headers={
                        "Content-Type": "application/json"}, body=json.dumps(
                        {"user_id": index, "kind": "module_completed", "idempotency_key": "e"}))
                    sent[json.loads(client.getresponse().read())["id"]] = started
                listener.join(timeout=10)
                client.close()
        finally:
            worker.stop()
            pubsub.close()
    samples = [(received[i] - t) * 1000 for i, t in sent.items() if i in received]
    return {**common.percentiles(samples), "sent": len(sent)}


def main() -> None:
    args = parse()
    deadline = time.monotonic() + args.timeout
    baseline = run_baseline(args.events, args.rate, deadline)
    measured = run_pipeline(args, deadline)
    if args.peer:
        peer = run_stack_peer(args.events, args.rate, deadline)
        measured["peer_bare_stack"] = {**peer, "p50_vs_floor": common.ratio(
            peer.get("p50"), baseline.get("p50")), "p99_vs_floor": common.ratio(
            peer.get("p99"), baseline.get("p99"))}
    ratios = {p: common.ratio(measured.get(p), baseline.get(p)) for p in ("p50", "p95", "p99")}
    targets = {"p50_ms": 25, "p99_ms": 100,
               "met": bool(measured.get("count") == args.events
                           and measured.get("p50", 1e9) <= 25 and measured.get("p99", 1e9) <= 100)}
    common.emit(common.report("e2e_latency", vars(args), measured, baseline, ratios, targets))


if __name__ == "__main__":
    main()

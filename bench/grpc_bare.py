"""The baselines of ``grpc_qps.py``: the same generated service with constant answers.

``bare``: no interceptor, no database — grpc's own cost of a call.
``bare + query``: the same, plus one database round trip per call (a prepared
``SELECT $1`` on the serving thread's own autocommit psycopg connection: the
cheapest way a synchronous servicer can ask PostgreSQL anything). It is the
ceiling for any servicer that reads the database on every call, so its ratio
to ``bare`` says how much of the gap to ``bare`` one round trip costs by itself.

Run as its own process by ``grpc_qps.py``:

    python bench/grpc_bare.py --port P --processes N [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import common  # noqa: F401  (puts the project root on sys.path)

MAX_WORKERS = 64  # as the service's GRPC_MAX_WORKERS


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--database-url", help="also run one query per call (bare + query)")
    return parser.parse_args()


def serve_processes(args: argparse.Namespace) -> None:
    """``processes`` servers on one port, forked before any grpc object exists (as ours)."""
    if args.processes == 1:
        serve(args.port, args.database_url, shared_port=False)
        return
    children = []
    for _ in range(args.processes):
        pid = os.fork()
        if pid == 0:
            serve(args.port, args.database_url, shared_port=True)
            os._exit(0)
        children.append(pid)
    signal.signal(signal.SIGTERM, lambda *_: [os.kill(pid, signal.SIGTERM) for pid in children])
    for pid in children:
        os.waitpid(pid, 0)


def serve(port: int, database_url: str | None, shared_port: bool) -> None:
    import grpc
    from grpc_health.v1 import health, health_pb2_grpc

    from app.grpc.generated.achievements.v1 import achievements_pb2_grpc as pb_grpc

    server = grpc.server(ThreadPoolExecutor(MAX_WORKERS),
                         options=[("grpc.so_reuseport", int(shared_port))])
    pb_grpc.add_AchievementServiceServicer_to_server(servicer(database_url), server)
    health_pb2_grpc.add_HealthServicer_to_server(health.HealthServicer(), server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    signal.signal(signal.SIGTERM, lambda *_: server.stop(0))
    server.wait_for_termination()


def servicer(database_url: str | None) -> Any:
    """Constant answers; with ``database_url``, one round trip to PostgreSQL first."""
    from app.grpc.generated.achievements.v1 import achievements_pb2_grpc as pb_grpc

    responses = constant_responses()
    ask = round_trip(database_url) if database_url else (lambda value: None)

    class Bare(pb_grpc.AchievementServiceServicer):
        def GetSummary(self, request: Any, context: Any) -> Any:
            ask(request.user_id)
            return responses["GetSummary"]

        def ListAchievements(self, request: Any, context: Any) -> Any:
            ask(request.user_id)
            return responses["ListAchievements"]

    return Bare()


def round_trip(database_url: str) -> Any:
    """``ask(value)``: a prepared ``SELECT`` on the calling thread's own connection."""
    import psycopg

    local = threading.local()

    def ask(value: int) -> None:
        cursor = getattr(local, "cursor", None)
        if cursor is None:
            cursor = local.cursor = psycopg.connect(database_url, autocommit=True).cursor()
        cursor.execute("SELECT %s::int", (value,), prepare=True).fetchone()

    return ask


def constant_responses() -> dict[str, Any]:
    """Responses shaped like a seeded learner's: 6 awards, a summary with counts and levels."""
    from app.grpc.generated.achievements.v1 import achievements_pb2 as pb

    award = pb.Achievement(id=1, user_id=1, type=pb.ACHIEVEMENT_TYPE_MODULE_COMPLETE,
                           type_key="module_complete", dedupe_key="module_complete:bench-u1-m1",
                           title="Module complete: Module 1.1", description="You completed it.",
                           badge="module_complete", badge_url="/static/badges/module_complete.svg")
    award.earned_at.GetCurrentTime()
    award.metadata.update({"module": "bench-u1-m1", "course": "bench", "course_title": "Bench"})
    summary = pb.GetSummaryResponse(
        user_id=1, total=6, counts=[pb.TypeCount(type_key="module_complete", count=3)] * 3,
        next_milestones=[pb.MilestoneProgress(type_key="milestone", title="10 modules completed",
                                              current=3, target=10, unit="modules")] * 3,
        rarity=[pb.Rarity(dedupe_key="module_complete:bench-u1-m1", share=0.5)] * 6)
    return {"GetSummary": summary,
            "ListAchievements": pb.ListAchievementsResponse(achievements=[award] * 6)}


if __name__ == "__main__":
    serve_processes(parse())

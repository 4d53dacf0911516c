"""The gRPC server process: it owns start, readiness and graceful stop.

Health reports NOT_SERVING until the database answers (a probe keeps
checking, so a lost database turns it back). SIGTERM or SIGINT: health goes
NOT_SERVING, open watch streams end at once with UNAVAILABLE (clients resume
with ``after_id``), new calls are refused, and in-flight unary calls get
``GRPC_GRACE_SECONDS`` to finish before the process exits 0.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import grpc
from flask import Flask
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from sqlalchemy import text

from app.config import Config
from app.extensions import db
from app.grpc.generated.achievements.v1 import achievements_pb2 as pb
from app.grpc.generated.achievements.v1 import achievements_pb2_grpc as pb_grpc
from app.grpc.interceptors import CallInterceptor, GuardedRegistration
from app.grpc.processes import process_count, run_processes
from app.grpc.servicer import AchievementServicer
from app.grpc.streams import StreamGate
from app.infra import logs
from app.services.monitoring import serve_role

log = logging.getLogger(__name__)
STOP_POLL_SECONDS = 0.2  # how soon the main thread sees SIGTERM/SIGINT

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["AchievementService"].full_name
OPTIONS: tuple[tuple[str, Any], ...] = (
    ("grpc.keepalive_time_ms", 30_000),  # ping idle long streams so dead peers are noticed
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.min_ping_interval_without_data_ms", 10_000),  # clients may ping every 10 s
    ("grpc.http2.max_pings_without_data", 0),
)
# One process: a port already taken is an error, not a silent second server. Several
# processes (app.grpc.processes) share the port the supervisor checked and holds.
SHARED_PORT = (("grpc.so_reuseport", 1),)
OWN_PORT = (("grpc.so_reuseport", 0),)
DB_POOL_SIZE = 8  # ORM connections per server process (hot reads: app.infra.pool)


class Readiness:
    """Probe the database; health says SERVING only while it answers."""

    def __init__(self, app: Flask, servicer: health.HealthServicer, interval: float = 5.0) -> None:
        self.app = app
        self.servicer = servicer
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="grpc-readiness", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            answered = self.database_answers()
            status = health_pb2.HealthCheckResponse.SERVING if answered \
                else health_pb2.HealthCheckResponse.NOT_SERVING
            for service in ("", SERVICE_NAME):
                self.servicer.set(service, status)
            self._stop.wait(self.interval if answered else 0.2)

    def database_answers(self) -> bool:
        try:
            with self.app.app_context():
                db.session.execute(text("SELECT 1"))
            return True
        except Exception as exc:
            log.warning("database not answering: %s", exc)
            return False


class AchievementsServer:
    def __init__(self, app: Flask, host: str | None = None, port: int | None = None,
                 shared_port: bool = False) -> None:
        settings = app.config["ACHIEVEMENTS_CONFIG"]
        self.grace = settings.GRPC_GRACE_SECONDS
        self.gate = StreamGate(app, settings.GRPC_MAX_STREAMS, settings.GRPC_HEARTBEAT_SECONDS)
        self.server = grpc.server(
            ThreadPoolExecutor(settings.GRPC_MAX_WORKERS, thread_name_prefix="grpc-call"),
            options=OPTIONS + (SHARED_PORT if shared_port else OWN_PORT))
        pb_grpc.add_AchievementServiceServicer_to_server(  # type: ignore[arg-type]
            AchievementServicer(app, self.gate),
            GuardedRegistration(self.server, CallInterceptor(app)))
        self.health = health.HealthServicer(experimental_non_blocking=True)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        reflection.enable_server_reflection(
            (SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), self.server)
        self.readiness = Readiness(app, self.health)
        address = f"{host or settings.GRPC_HOST}:{settings.GRPC_PORT if port is None else port}"
        self.port = self.server.add_insecure_port(address)
        self.address = f"{address.rsplit(':', 1)[0]}:{self.port}"

    def start(self) -> AchievementsServer:
        for service in ("", SERVICE_NAME):
            self.health.set(service, health_pb2.HealthCheckResponse.NOT_SERVING)
        self.server.start()
        self.readiness.start()
        return self

    def stop(self, grace: float | None = None) -> None:
        """Graceful stop: unhealthy first, end streams, then let unary calls finish."""
        self.health.enter_graceful_shutdown()
        self.readiness.stop()
        self.gate.stop()
        self.server.stop(self.grace if grace is None else grace).wait()


def serve(app: Flask, port: int | None = None, shared_port: bool = False) -> None:
    """Run until SIGTERM/SIGINT, then stop gracefully."""
    server = AchievementsServer(app, port=port, shared_port=shared_port).start()
    signalled: list[int] = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        # A handler that takes no lock: ``Event.set()`` here deadlocked (seen in a test run)
        # when the signal landed while this thread held the Event's lock in ``wait()``.
        signal.signal(signum, lambda received, _frame: signalled.append(received))
    log.info("gRPC %s listening on %s (pid %s)", SERVICE_NAME, server.address, os.getpid())
    while not signalled:
        time.sleep(STOP_POLL_SECONDS)
    log.info("stopping: grace %.1fs", server.grace)
    server.stop()
    log.info("gRPC server stopped")


def with_server_pool(settings: Config) -> Config:
    """The ORM's PostgreSQL connections in a server process: ``DB_POOL_SIZE``, no overflow.

    The app's default pool (10 + 20 overflow) opens and closes an overflow
    connection around every call beyond ten at once: a PostgreSQL backend
    started per call. Past ``DB_POOL_SIZE`` calls now wait briefly instead. The
    hot reads (List, Summary) use their own pool (app.infra.pool);
    the ORM serves writes, token and cache misses, and stream replays.
    """
    return replace(settings, DB_POOL_SIZE=DB_POOL_SIZE, DB_MAX_OVERFLOW=0)


def main() -> None:
    """One server, or ``GRPC_PROCESSES`` of them on a shared port (see app.grpc.processes)."""
    settings = with_server_pool(Config.from_env())
    logs.configure(settings, install_text=True)
    from app import create_app

    if process_count(settings) == 1:
        app = create_app(settings)
        serve_role(app, "grpc")
        serve(app)
        return
    metrics = (lambda: serve_role(create_app(settings), "grpc")) if settings.GRPC_METRICS_PORT \
        else (lambda: None)
    run_processes(settings, lambda port: serve(create_app(settings), port, shared_port=True),
                  after_fork=metrics)

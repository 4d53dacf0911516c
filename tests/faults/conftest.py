"""Fault-injection fixtures: the integration services plus beat, bursts and live clients.

Reuses the integration fixtures (own database, Redis db, prefix and queue per
run) and shortens the broker visibility timeout so a task held by a worker
killed with SIGKILL is redelivered within seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask

from tests.faults.harness import Burst, SSEClient
from tests.faults.watch import WatchClient
from tests.integration import conftest as integration
from tests.support.services import Beat

pytestmark = pytest.mark.integration

pg_url = integration.pg_url
redis_config = integration.redis_config
services_app = integration.services_app
start_worker = integration.start_worker


@pytest.fixture
def service_settings(pg_url: str, redis_config: dict[str, str]) -> Iterator[dict[str, str]]:
    settings = {"DATABASE_URL": pg_url, "SECRET_KEY": "integration", "TASKS_EAGER": "false",
                "OUTBOX_SWEEP_AGE_SECONDS": "2", "OUTBOX_SWEEP_INTERVAL_SECONDS": "1",
                "BROKER_VISIBILITY_TIMEOUT": "3", "SSE_PING_SECONDS": "1", **redis_config}
    yield settings
    integration.truncate_all(pg_url)
    integration.forget_detection_gate(settings)
    purge_queue(settings)


def purge_queue(settings: dict[str, str]) -> None:
    """Drop tasks a stopped worker left behind (sweeps, retries) before the next test."""
    import redis

    redis.Redis.from_url(settings["REDIS_URL"]).delete(settings["CELERY_QUEUE"])


@pytest.fixture
def start_beat(service_settings: dict[str, str]) -> Iterator[Callable[[], Beat]]:
    """Start celery beat: the outbox sweep every second (events older than 2 s)."""
    started: list[Beat] = []

    def start() -> Beat:
        started.append(Beat(service_settings, name="beat").start())
        return started[-1]

    yield start
    for process in started:
        process.stop()


@pytest.fixture
def beat(start_beat: Callable[[], Beat]) -> Beat:
    return start_beat()


@pytest.fixture
def burst(services_app: Flask, pg_url: str) -> Callable[..., Burst]:
    services_app.config["WTF_CSRF_ENABLED"] = True  # browsers log in through the real form

    def make(learners: int = 3, units: int = 2, modules: int = 5) -> Burst:
        return Burst(services_app, pg_url, units=units, modules=modules).setup(learners)

    return make


@pytest.fixture
def live_clients(services_app: Flask) -> Iterator[Callable[[Burst], dict[int, SSEClient]]]:
    """One connected SSE client per learner of a burst; all disconnected afterwards."""
    opened: list[SSEClient] = []

    def open_all(scenario: Burst) -> dict[int, SSEClient]:
        clients = {lr.user_id: SSEClient(services_app, lr).connect() for lr in scenario.learners}
        opened.extend(clients.values())
        return clients

    yield open_all
    for client in opened:
        client.disconnect()


@pytest.fixture
def grpc_address(services_app: Flask) -> Iterator[str]:
    """The gRPC server in-process on the services app (heartbeat every 0.5 s)."""
    from app.grpc.server import AchievementsServer

    services_app.config["ACHIEVEMENTS_CONFIG"].GRPC_HEARTBEAT_SECONDS = 0.5
    server = AchievementsServer(services_app, host="127.0.0.1", port=0).start()
    yield server.address
    server.stop(grace=1.0)


@pytest.fixture
def watchers(grpc_address: str) -> Iterator[Callable[[Burst], dict[int, WatchClient]]]:
    """One live gRPC WatchAchievements stream per learner of a burst; closed afterwards."""
    opened: list[WatchClient] = []

    def open_all(scenario: Burst) -> dict[int, WatchClient]:
        clients = {lr.user_id: WatchClient(grpc_address, scenario.token, lr.user_id).connect()
                   for lr in scenario.learners}
        opened.extend(clients.values())
        return clients

    yield open_all
    for client in opened:
        client.close()

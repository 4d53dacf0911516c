"""Integration fixtures: a migrated PostgreSQL database, Redis and real worker processes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from app import create_app
from app.config import Config
from app.extensions import db
from tests.support.databases import truncate_all
from tests.support.services import Worker, fresh_database, redis_settings

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


@pytest.fixture(scope="session")
def redis_config() -> dict[str, str]:
    return redis_settings()


@pytest.fixture
def service_settings(pg_url: str, redis_config: dict[str, str]) -> Iterator[dict[str, str]]:
    """Settings of the real-services deployment; tables emptied after each test."""
    settings = {"DATABASE_URL": pg_url, "SECRET_KEY": "integration", "TASKS_EAGER": "false",
                "OUTBOX_SWEEP_AGE_SECONDS": "2", "OUTBOX_SWEEP_INTERVAL_SECONDS": "1",
                "SSE_PING_SECONDS": "1", **redis_config}
    yield settings
    truncate_all(pg_url)
    forget_detection_gate(settings)


@pytest.fixture
def services_app(service_settings: dict[str, str]) -> Iterator[Flask]:
    """The app as the web process runs it against the real services (tasks not eager)."""
    config = Config(
        DATABASE_URL=service_settings["DATABASE_URL"], REDIS_URL=service_settings["REDIS_URL"],
        SECRET_KEY="integration", TASKS_EAGER=False, CELERY_QUEUE=service_settings["CELERY_QUEUE"],
        CHANNEL_PREFIX=service_settings["CHANNEL_PREFIX"], SSE_PING_SECONDS=1.0,
        OUTBOX_SWEEP_AGE_SECONDS=2, TESTING=True,
    )
    application = create_app(config)
    application.config["WTF_CSRF_ENABLED"] = False
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()  # each test's app has its own pool: close it, or they pile up


@pytest.fixture
def start_worker(service_settings: dict[str, str]) -> Iterator[Callable[..., Worker]]:
    """Start real ``celery worker`` processes on this run's queue; stopped after the test."""
    workers: list[Worker] = []

    def start(name: str = "w1", concurrency: int = 2, pool: str | None = None) -> Worker:
        worker = Worker(service_settings, concurrency=concurrency, name=name, pool=pool).start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


def forget_detection_gate(settings: dict[str, str]) -> None:
    """Learner ids restart with the tables, so this run's detection-gate keys go with them:
    a key a test left set (its worker stopped first) would make the next test's learner
    skip its enqueues until the key expired (app.infra.gate)."""
    import redis

    client = redis.Redis.from_url(settings["REDIS_URL"])
    keys = list(client.scan_iter(f"{settings['CHANNEL_PREFIX']}:detect-waiting:*"))
    if keys:
        client.delete(*keys)


ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

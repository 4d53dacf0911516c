"""Binds the unbound Celery instance to a Flask app: broker, pool and delivery settings.

The tasks themselves are a transport (``workers.tasks``); the factory registers them.
"""

from __future__ import annotations

from typing import Any

from celery import Task
from flask import Flask

from app.config import Config
from app.extensions import celery
from app.infra.broker import adjust_redis_transport


def init_celery(app: Flask) -> None:
    settings = app.config["ACHIEVEMENTS_CONFIG"]
    broker_url = settings.REDIS_URL or "memory://"
    if celery.conf.broker_url != broker_url:
        _drop_broker_pool()
    celery.conf.update(_celery_settings(settings, broker_url))
    adjust_redis_transport()
    celery.flask_app = app  # type: ignore[attr-defined]
    celery.set_default()
    app.extensions["celery"] = celery


# Tasks a worker reserves per pool thread. One: a detection task waiting in the broker
# holds its shard's gate (app.infra.gate), so under load later events of the shard
# join it instead of adding tasks, which a task reserved early (and released on receipt)
# would not do. bench/README.md, throughput: fewer tasks, less CPU per event, half the p99 lag.
PREFETCH_MULTIPLIER = 1


def _celery_settings(settings: Config, broker_url: str) -> dict[str, Any]:
    """Celery configuration from the app's settings (pool and sizes included: see Config)."""
    return {
        "broker_url": broker_url,
        "task_always_eager": settings.tasks_eager,
        "task_eager_propagates": True,
        "task_ignore_result": True,
        "result_backend": None,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": PREFETCH_MULTIPLIER,
        "worker_pool": settings.WORKER_POOL,
        "worker_concurrency": settings.WORKER_CONCURRENCY,
        "task_default_queue": settings.CELERY_QUEUE,
        "task_routes": {"achievements.relay_notifications":
                        {"queue": settings.NOTIFY_QUEUE or settings.CELERY_QUEUE}},
        "broker_connection_retry_on_startup": True,
        # Seconds before a task taken by a worker that vanished (SIGKILL) is redelivered.
        "broker_transport_options": {"visibility_timeout": settings.BROKER_VISIBILITY_TIMEOUT},
        "beat_schedule": {
            "sweep-outbox": {
                "task": "achievements.sweep_outbox",
                "schedule": float(settings.OUTBOX_SWEEP_INTERVAL_SECONDS),
            },
            # Notices due (coalesced award emails, retries after an SMTP outage, rows a
            # dead worker held past their lease); a kick after each cause sends sooner.
            "relay-notifications": {
                "task": "achievements.relay_notifications",
                "schedule": float(settings.NOTIFY_RELAY_INTERVAL_SECONDS),
            },
            "queue-reminders": {"task": "achievements.queue_reminders", "schedule": 3600.0},
            # LMS rosters (LTI Names and Roles) older than their sync age are fetched again.
            "lti-sync-rosters": {"task": "achievements.lti_sync_rosters", "schedule": 900.0},
        },
    }


def _drop_broker_pool() -> None:
    """Rebinding to another broker: pooled connections still point at the old one."""
    celery._pool = None  # type: ignore[attr-defined]
    amqp = celery.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


class FlaskTask(Task):
    """Every task body runs inside an app context (and so its own DB session).

    The app is looked up at call time, not captured, so the most recently
    bound app wins — one per process in production, one per test in tests.
    """

    abstract = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with self.app.flask_app.app_context():
            return self.run(*args, **kwargs)

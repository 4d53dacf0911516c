"""The relay's queue: shared with detection by default, its own when one is named."""

from __future__ import annotations

from dataclasses import replace

from app.config import Config
from app.infra.celery import _celery_settings

RELAY = "achievements.relay_notifications"


def test_the_relay_shares_the_default_queue_unless_one_is_named() -> None:
    settings = Config()
    routes = _celery_settings(settings, "memory://")["task_routes"]
    assert routes[RELAY] == {"queue": settings.CELERY_QUEUE}


def test_a_named_notify_queue_takes_the_relay_and_nothing_else() -> None:
    settings = replace(Config(), NOTIFY_QUEUE="mail")
    celery_settings = _celery_settings(settings, "memory://")
    assert celery_settings["task_routes"] == {RELAY: {"queue": "mail"}}
    assert celery_settings["task_default_queue"] == settings.CELERY_QUEUE

"""Publish new awards and fan them out to live listeners (SSE, gRPC watch).

Each process holds ONE :class:`Hub`. With Redis configured the hub keeps one
pattern subscription to ``<prefix>:user:*`` and fans messages out to
per-connection inboxes; embedded, publishing dispatches straight into the hub.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Flask, current_app

from app.infra.pubsub.hub import Hub, Subscription

__all__ = ["Hub", "Subscription", "hub", "init_notify", "publish_many"]


def init_notify(app: Flask) -> None:
    settings = app.config["ACHIEVEMENTS_CONFIG"]
    if settings.REDIS_URL:
        from app.infra.pubsub.redis_backend import RedisBackend

        backend: Any = RedisBackend(settings.REDIS_URL, settings.CHANNEL_PREFIX)
    else:
        from app.infra.pubsub.memory_backend import MemoryBackend

        backend = MemoryBackend()
    app.extensions["notify_hub"] = Hub(backend)


def hub(app: Flask | None = None) -> Hub:
    return (app or current_app).extensions["notify_hub"]


def publish_many(messages: Sequence[tuple[int, dict[str, Any]]]) -> None:
    """Send several ``(user_id, message)`` pairs in one round trip; all or none on failure."""
    hub().publish_many(messages)

"""Server-sent events framing over :func:`app.achievements.live.follow`."""

from __future__ import annotations

import json
from collections.abc import Iterator

from flask import Flask

from app.achievements.live import follow

RETRY_MS = 2000


def event_stream(app: Flask, user_id: int, after_id: int | None) -> Iterator[str]:
    heartbeat = app.config["ACHIEVEMENTS_CONFIG"].SSE_PING_SECONDS
    yield f"retry: {RETRY_MS}\n: connected\n\n"
    for award in follow(app, user_id, after_id, heartbeat):
        if award is None:
            yield ": ping\n\n"
        else:
            yield f"event: achievement\nid: {award['id']}\ndata: {json.dumps(award)}\n\n"

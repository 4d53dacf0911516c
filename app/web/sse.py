"""Server-sent events framing over :func:`app.read.live.follow`.

Kept as simple as flask-sse's generator, without its flaws: the learner comes
from the session (never the query), every process shares one Redis
subscription, and ``id:`` lets the browser resume with ``Last-Event-ID``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from typing import Any

from flask import Flask

from app.read.live import Framing, follow
from app.read.wording import localize_award

RETRY_MS = 2000
CONNECTED = f"retry: {RETRY_MS}\n: connected\n\n".encode()
PING = b": ping\n\n"


def parse_last_event_id(header: str | None, query: str | None) -> int | None:
    """The resume point: the ``Last-Event-ID`` header wins over ``?after=``; junk is ignored."""
    for value in (header, query):
        value = (value or "").strip()
        if value.isdigit() and len(value) < 19:  # fits a BIGINT
            return int(value)
    return None


def event_stream(app: Flask, user_id: int, after_id: int | None,
                 locale: str = "en") -> Iterator[bytes]:
    """Encoded frames, for a ``direct_passthrough`` response: werkzeug then hands this
    generator to the server as is. It is :func:`follow` itself, framing for SSE, so no
    wrapping iterator, encoding generator or generator of ours is kept alive (and saved
    on the greenlet's stack) for the life of the stream."""
    heartbeat = app.config["ACHIEVEMENTS_CONFIG"].SSE_PING_SECONDS
    return follow(app, user_id, after_id, heartbeat, framing=sse_framing(locale))


def encode(award: dict[str, Any] | None) -> bytes:
    """An award as an ``achievement`` event; None (a heartbeat) as a comment line."""
    return PING if award is None else format_event(award).encode()


SSE_FRAMING = Framing(encode=encode, first=(CONNECTED,), via="sse")


@cache
def sse_framing(locale: str) -> Framing:
    """Awards with built-in titles and descriptions in the stream's language (the page's,
    chosen when it opened); one framing per language, shared by its streams."""
    if locale == "en":
        return SSE_FRAMING
    return Framing(encode=lambda award: encode(award and localize_award(award, locale)),
                   first=(CONNECTED,), via="sse")


def format_event(award: dict[str, Any]) -> str:
    return f"event: achievement\nid: {award['id']}\ndata: {json.dumps(award)}\n\n"

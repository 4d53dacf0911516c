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

from app.read.live import Framing, follow, parse_cursor
from app.read.standing import is_change
from app.read.wording import localize_award

RETRY_MS = 2000
CONNECTED = f"retry: {RETRY_MS}\n: connected\n\n".encode()
PING = b": ping\n\n"


def parse_last_event_id(header: str | None, query: str | None) -> tuple[int, int] | None:
    """The resume point ``(award id, change id)``: the ``Last-Event-ID`` header wins over
    ``?after=``; junk is ignored. ``12`` is ``(12, 0)``, ``12.3`` is ``(12, 3)``
    (``app.read.live.cursor_text``)."""
    for value in (header, query):
        if (cursor := parse_cursor(value)) is not None:
            return cursor
    return None


def event_stream(app: Flask, user_id: int, after: tuple[int, int] | int | None,
                 locale: str = "en") -> Iterator[bytes]:
    """Encoded frames, for a ``direct_passthrough`` response: werkzeug then hands this
    generator to the server as is. It is :func:`follow` itself, framing for SSE, so no
    wrapping iterator, encoding generator or generator of ours is kept alive (and saved
    on the greenlet's stack) for the life of the stream."""
    heartbeat = app.config["ACHIEVEMENTS_CONFIG"].SSE_PING_SECONDS
    after_id, after_change = (after, None) if not isinstance(after, tuple) else after
    return follow(app, user_id, after_id, heartbeat, framing=sse_framing(locale),
                  after_change=after_change)


def encode(item: dict[str, Any] | None, cursor: str | None = None) -> bytes:
    """An award as an ``achievement`` event, a standing change as a ``revoked`` or
    ``restored`` one (``id:`` the stream's position); None (a heartbeat) as a comment."""
    if item is None:
        return PING
    return format_event(item, cursor).encode()


SSE_FRAMING = Framing(encode=encode, first=(CONNECTED,), via="sse")


@cache
def sse_framing(locale: str) -> Framing:
    """Awards with built-in titles and descriptions in the stream's language (the page's,
    chosen when it opened); one framing per language, shared by its streams."""
    if locale == "en":
        return SSE_FRAMING
    return Framing(encode=lambda item, cursor=None: encode(localized(item, locale), cursor),
                   first=(CONNECTED,), via="sse")


def localized(item: dict[str, Any] | None, locale: str) -> dict[str, Any] | None:
    if item is None:
        return None
    if is_change(item):
        return {**item, "achievement": localize_award(item["achievement"], locale)}
    return localize_award(item, locale)


def format_event(item: dict[str, Any], cursor: str | None = None) -> str:
    event = item["kind"] if is_change(item) else "achievement"
    return f"event: {event}\nid: {cursor or item['id']}\ndata: {json.dumps(item)}\n\n"

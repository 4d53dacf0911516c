"""Server-sent events framing over :func:`app.read.live.follow`.

Kept as simple as flask-sse's generator, without its flaws: the learner comes
from the session (never the query), every process shares one Redis
subscription, and ``id:`` lets the browser resume with ``Last-Event-ID``.
Under gunicorn's gevent worker the stream's connection is parked instead
(:class:`StreamResponse`, ``app.infra.parked``): no greenlet waits on it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from email.utils import formatdate
from functools import cache
from typing import Any, NoReturn

from flask import Flask, Response

from app.infra.parked import ParkedSocket, detach
from app.read.live import Framing, follow, parse_cursor
from app.read.pushed import push_feed
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


class StreamResponse(Response):
    """A learner's event stream: parked where the server allows it, else streamed.

    Under gunicorn's gevent worker (:func:`app.infra.parked.detach`), the head and the
    first frames are written on a duplicate of the connection and the stream goes on as
    a :class:`~app.read.pushed.PushedFeed`; gunicorn is told the request is done
    (``StopIteration``) and closes only its own descriptor. Anywhere else the body is
    :func:`event_stream`, iterated by the server as before.
    """

    def __init__(self, app: Flask, user_id: int, after: tuple[int, int] | None,
                 locale: str) -> None:
        super().__init__(event_stream(app, user_id, after, locale),
                         mimetype="text/event-stream", direct_passthrough=True)
        self.follows = (app, user_id, after or (None, None), locale)
        self.headers["Cache-Control"] = "no-cache"
        self.headers["X-Accel-Buffering"] = "no"

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        sock = detach(environ) if environ.get("REQUEST_METHOD") == "GET" else None
        if sock is None:  # not under gunicorn's gevent worker, or a HEAD: no body to park
            return super().__call__(environ, start_response)
        self.close()  # the streaming body, never started
        self._park(sock, environ)

    def _park(self, sock: ParkedSocket, environ: dict[str, Any]) -> NoReturn:
        app, user_id, after, locale = self.follows
        framing = sse_framing(locale)
        if sock.start(self._head(environ, sock.chunked), b"".join(framing.first)):
            heartbeat = app.config["ACHIEVEMENTS_CONFIG"].SSE_PING_SECONDS
            push_feed(app, user_id, after, heartbeat, framing, sock)
        raise StopIteration  # gunicorn closes its descriptor and writes nothing

    def _head(self, environ: dict[str, Any], chunked: bool) -> bytes:
        """The status line and headers, as gunicorn would send them: the body in chunks
        (HTTP/1.1) or up to the connection's end (HTTP/1.0); either way the connection
        closes with the stream."""
        headers = self.get_wsgi_headers(environ)
        if chunked:
            headers["Transfer-Encoding"] = "chunked"
        headers["Connection"] = "close"
        headers.setdefault("Date", formatdate(usegmt=True))
        lines = [f"{environ['SERVER_PROTOCOL']} {self.status}", *(
            f"{name}: {value}" for name, value in headers.items())]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


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

"""WSGI entry point: ``gunicorn wsgi:app`` and ``flask --app wsgi``."""

import os
from typing import Any

import gevent

from app import create_app
from app.infra.greenlets import on_fresh_greenlet

if "GEVENT_TRACK_GREENLET_TREE" not in os.environ:
    # Each SSE stream is a parked greenlet; recording who spawned it (a debugging aid)
    # costs ~0.25 KB per stream. Read per greenlet created, so setting it here is in time.
    gevent.config.track_greenlet_tree = False

app = create_app()
_dispatch = app.wsgi_app


def _dispatch_on_fresh_greenlet(environ: dict[str, Any], start_response: Any) -> Any:
    """Flask's dispatch runs on a short-lived greenlet (``app.infra.greenlets``), so the
    connection's greenlet, parked for the life of an SSE stream, never holds the
    frame-stack pages of the request's deepest calls (4 KB per stream). Costs ~15 µs a
    request. The response iterator is still consumed on the connection's greenlet, so a
    response must not rely on context variables set during dispatch (Flask's
    ``stream_with_context`` would; nothing here uses it)."""
    return on_fresh_greenlet(_dispatch, environ, start_response)


app.wsgi_app = _dispatch_on_fresh_greenlet  # type: ignore[method-assign]

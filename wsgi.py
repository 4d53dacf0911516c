"""WSGI entry point: ``gunicorn wsgi:app`` and ``flask --app wsgi``."""

import os

import gevent

from app import create_app

if "GEVENT_TRACK_GREENLET_TREE" not in os.environ:
    # Each SSE stream is a parked greenlet; recording who spawned it (a debugging aid)
    # costs ~0.25 KB per stream. Read per greenlet created, so setting it here is in time.
    gevent.config.track_greenlet_tree = False

app = create_app()

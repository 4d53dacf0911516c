"""Deep work on a short-lived greenlet, so that a long-lived one stays shallow.

Under gunicorn's gevent worker each connection is a greenlet, and an SSE
stream keeps its greenlet parked for as long as the browser tab is open. On
CPython 3.11+ every greenlet has a frame stack of its own (a 16 KB chunk), and
the pages it touched once stay resident for the greenlet's life. Parking needs
~1 KB of frames, but a request's deepest moment (Flask dispatch with
Flask-Login loading the user through SQLAlchemy, ~7 KB) and the stream's own
database reads touch a second 4 KB page. Done on a throw-away greenlet, that
work's pages are given back when it ends: 4 KB less per held stream.

Without gevent's monkey-patching (tests, the gRPC server's threads, Celery) the
function is simply called: an OS thread's stack is reused, never parked.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def under_gevent() -> bool:
    """True in a process whose ``threading`` gevent patched (gunicorn ``-k gevent``)."""
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and bool(monkey.is_module_patched("threading"))


def on_fresh_greenlet(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)``, run on a greenlet of its own under gevent; its exception is raised here.

    The exception travels back as a value rather than through gevent's failed-greenlet
    path, which would print it a second time on stderr before the caller handles it.
    """
    if not under_gevent():
        return fn(*args)
    import gevent

    ok, value = gevent.spawn(_outcome, fn, args).get()
    if not ok:
        raise value
    return value


def _outcome(fn: Callable[..., Any], args: tuple[Any, ...]) -> tuple[bool, Any]:
    try:
        return True, fn(*args)
    except BaseException as exc:  # re-raised by the caller, in its own greenlet
        return False, exc

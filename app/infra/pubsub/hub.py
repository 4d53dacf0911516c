"""Per-process fan-out from one backend subscription to many connection inboxes.

A web process holds thousands of idle streams; each costs one small
:class:`Subscription` (a bounded inbox), never a Redis connection. Works the
same with OS threads and under gevent's monkey-patching (gunicorn ``-k
gevent``), where ``threading`` becomes cooperative.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, Protocol

log = logging.getLogger(__name__)

RESYNC = {"resync": True}
"""Put in an inbox when messages may have been missed; the reader replays from the database."""

QUEUE_SIZE = 64
"""Messages only wake readers (awards are read from the database), so a short inbox suffices."""

READY_TIMEOUT = 5.0


class Backend(Protocol):
    poll_seconds: float | None
    """None when the backend hears every process; else how often readers must poll the DB."""

    def publish(self, user_id: int, message: dict[str, Any]) -> None: ...

    def publish_many(self, messages: Sequence[tuple[int, dict[str, Any]]]) -> None: ...

    def start(self, hub: Hub) -> None: ...

    def wait_ready(self, timeout: float) -> bool: ...


class Inbox(Protocol):
    """What the hub delivers to: ``offer`` must never block (it runs in the fan-out)."""

    user_id: int | None

    def offer(self, message: dict[str, Any]) -> None: ...


class Subscription:
    """One live connection's inbox. ``user_id`` None means every learner (admin watch).

    A list and an event rather than a ``queue.Queue`` (a mutex, three conditions
    and a deque, ~2.5 KB): a web process holds one per open stream. One reader,
    any number of writers; ``threading.Event`` is gevent's under monkey-patching.
    """

    __slots__ = ("_bell", "_inbox", "user_id")

    def __init__(self, user_id: int | None) -> None:
        self.user_id = user_id
        self._inbox: list[dict[str, Any]] = []
        self._bell = threading.Event()

    def offer(self, message: dict[str, Any]) -> None:
        """Never blocks the fan-out: a stalled reader gets one RESYNC instead of a backlog."""
        if len(self._inbox) >= QUEUE_SIZE:
            self._inbox[:] = [RESYNC]
        else:
            self._inbox.append(message)
        self._bell.set()

    def get(self, timeout: float) -> dict[str, Any] | None:
        """The oldest message, waiting up to ``timeout`` seconds; None if none came."""
        self._bell.clear()  # cleared before looking, so an offer racing this call still rings
        if not self._inbox:
            self._bell.wait(timeout)
        return self._inbox.pop(0) if self._inbox else None


class Hub:
    """Routes each backend message to the subscriptions of its learner (and admin watchers)."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        # Lists, not sets: a learner has a tab or two open, and an empty set is 216 bytes.
        self._subs: dict[int | None, list[Inbox]] = defaultdict(list)
        self._lock = threading.Lock()
        self._started_pid: int | None = None

    def publish(self, user_id: int, message: dict[str, Any]) -> None:
        self.backend.publish(user_id, message)

    def publish_many(self, messages: Sequence[tuple[int, dict[str, Any]]]) -> None:
        self.backend.publish_many(messages)

    def subscribe(self, user_id: int | None) -> Subscription:
        """Register an inbox; returns once the backend is listening, so no award slips by."""
        sub = Subscription(user_id)
        self.attach(sub)
        return sub

    def attach(self, sub: Inbox) -> None:
        """Register ``sub`` (a :class:`Subscription`, or anything with ``user_id`` and
        ``offer``); returns once the backend is listening, so no award slips by."""
        self._ensure_started()
        with self._lock:
            self._subs[sub.user_id].append(sub)
        if not self.backend.wait_ready(READY_TIMEOUT):
            log.warning("live backend not ready; the reader relies on resync after reconnect")

    def unsubscribe(self, sub: Inbox) -> None:
        with self._lock:
            subs = self._subs.get(sub.user_id)
            if subs is not None and sub in subs:
                subs.remove(sub)
                if not subs:
                    del self._subs[sub.user_id]

    def dispatch(self, user_id: int, message: dict[str, Any]) -> None:
        """Called by the backend for each message received."""
        for sub in self._listeners(user_id):
            sub.offer(message)

    def resync_all(self) -> None:
        """The backend lost its subscription for a while: every reader must replay."""
        for sub in self._listeners(None, everyone=True):
            sub.offer(RESYNC)

    def connection_count(self) -> int:
        with self._lock:
            return sum(len(subs) for subs in self._subs.values())

    def _listeners(self, user_id: int | None, everyone: bool = False) -> list[Inbox]:
        with self._lock:
            if everyone:
                return [s for subs in self._subs.values() for s in subs]
            return [*self._subs.get(user_id, ()), *self._subs.get(None, ())]

    def _ensure_started(self) -> None:
        """Start the backend once per process; a forked child starts its own listener."""
        with self._lock:
            if self._started_pid == os.getpid():
                return
            self._started_pid = os.getpid()
        self.backend.start(self)

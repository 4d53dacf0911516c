"""Per-process fan-out from one backend subscription to many connection queues."""

from __future__ import annotations

import logging
import queue
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger(__name__)

RESYNC = {"resync": True}
"""Put on a queue when messages may have been missed; the reader replays from the database."""


class Backend(Protocol):
    def publish(self, user_id: int, message: dict[str, Any]) -> None: ...

    def start(self, hub: Hub) -> None: ...


@dataclass(eq=False)
class Subscription:
    """One live connection's inbox. ``user_id`` None means every learner (admin watch)."""

    user_id: int | None
    queue: queue.Queue[dict[str, Any]] = field(default_factory=lambda: queue.Queue(maxsize=1000))

    def offer(self, message: dict[str, Any]) -> None:
        try:
            self.queue.put_nowait(message)
        except queue.Full:  # a stalled reader: it will replay from the database instead
            self._drain()
            self.queue.put_nowait(RESYNC)

    def get(self, timeout: float) -> dict[str, Any] | None:
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def _drain(self) -> None:
        while not self.queue.empty():
            self.queue.get_nowait()


class Hub:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._subs: dict[int | None, set[Subscription]] = defaultdict(set)
        self._lock = threading.Lock()
        self._started = False

    def publish(self, user_id: int, message: dict[str, Any]) -> None:
        self.backend.publish(user_id, message)

    def subscribe(self, user_id: int | None) -> Subscription:
        self._ensure_started()
        sub = Subscription(user_id)
        with self._lock:
            self._subs[user_id].add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subs[sub.user_id].discard(sub)

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

    def _listeners(self, user_id: int | None, everyone: bool = False) -> list[Subscription]:
        with self._lock:
            if everyone:
                return [s for subs in self._subs.values() for s in subs]
            return [*self._subs.get(user_id, ()), *self._subs.get(None, ())]

    def _ensure_started(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
        self.backend.start(self)

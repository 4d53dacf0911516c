"""Learner summaries (or what a transport makes of one), kept per learner under the key
they were built from, and answered again while the learner's current key is the same.

Invalidation: every read passes the learner's current key, which the caller derives
from one small statement (``app.read.summary``: time zone, catalog revision, count
of progress events and awards, revoked award keys, local date, rules); an entry under
another key is rebuilt. The key an entry is stored under comes from the same snapshot
as the value, never from an earlier read, so a commit between the two only costs a
rebuild. Staleness bound: none for the learner's own facts (any change to them changes
the key before any later read); what is not the learner's own — holder counts and the
number of learners, for rarity — at most ``ttl`` seconds, after which entries expire.
At most ``capacity`` learners (cleared when full).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")
Build = Callable[[], tuple[Hashable | None, T]]


class LearnerSummaries(Generic[T]):
    """Values per learner id, each kept under the key it was built from for ``ttl`` seconds."""

    def __init__(self, ttl: float, capacity: int = 50_000) -> None:
        self.ttl = ttl
        self.capacity = capacity
        self._entries: dict[int, tuple[Hashable, float, T]] = {}
        self._lock = threading.Lock()

    def get(self, user_id: int, current_key: Hashable | None, build: Build[T]) -> T:
        """The kept value if it was built under ``current_key`` and is younger than ``ttl``;
        else ``build()`` → ``(key, value)``, kept under ``key`` unless that is None."""
        hit = self._entries.get(user_id)
        if current_key is not None and hit is not None and hit[1] > time.monotonic() \
                and hit[0] == current_key:
            return hit[2]
        key, value = build()
        if key is not None:
            self._store(user_id, (key, time.monotonic() + self.ttl, value))
        return value

    def _store(self, user_id: int, entry: tuple[Hashable, float, T]) -> None:
        with self._lock:
            if len(self._entries) >= self.capacity:
                self._entries = {}
            self._entries[user_id] = entry

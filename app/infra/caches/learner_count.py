"""The number of people with the learner role (at least 1), per database.

Rarity divides holder counts by it. Counting every learner on each summary is a
scan that grows with the user table; rarity is a statistic, so a few seconds' lag
is harmless. Invalidation: none; an entry expires ``ttl`` seconds after it was
counted. Staleness bound: ``ttl`` seconds (``LEARNER_COUNT_SECONDS``).
"""

from __future__ import annotations

import threading
import time

from app.extensions import db
from app.infra.sql import fetch_one
from app.models.user import LEARNER_ROLE

LEARNER_COUNT_SECONDS = 5.0


class LearnerCount:
    """People with the learner role, re-counted at most every ``ttl`` seconds (PostgreSQL)."""

    def __init__(self, ttl: float = LEARNER_COUNT_SECONDS) -> None:
        self.ttl = ttl
        self._values: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def get(self) -> int:
        bind, now = str(db.engine.url), time.monotonic()
        hit = self._values.get(bind)
        if hit is not None and hit[0] > now:
            return hit[1]
        row = fetch_one("SELECT count(*) FROM users WHERE role = %s", (LEARNER_ROLE,))
        count = max(int(row[0]) if row else 0, 1)
        with self._lock:
            self._values[bind] = (now + self.ttl, count)
        return count

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


learner_count = LearnerCount()

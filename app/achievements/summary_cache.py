"""Summaries kept per learner while nothing they show can have changed (PostgreSQL).

A summary costs one statement that reads every fact, award and event of the
learner, and the Python to turn them into figures. A learner's version
(:func:`~app.achievements.summary_facts.learner_version`: time zone, catalog
revision, count of progress events, count of awards, revoked award keys)
is one small statement, and it changes whenever any of that changes, so a
summary kept under a version can be answered again while the version is
the same: an award committed (and so visible to ListAchievements) changes
the count before any later read, and the cached summary is not used.

Correct under concurrency because the version an entry is stored under is
derived from the same statement (snapshot) as the summary itself, never
from an earlier read. What is not the learner's own — holder counts and the
number of learners (rarity) — may be up to ``ttl`` seconds old; entries
expire after that. The date is part of the key (streak progress counts days).
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, Generic, TypeVar

from flask import current_app

from app.achievements.loader import learner_zone
from app.achievements.summary import level_keys, summary_of
from app.achievements.summary_facts import LEARNER_COUNT_SECONDS, learner_version, summary_facts
from app.models.types import utcnow

T = TypeVar("T")


class SummaryCache(Generic[T]):
    """``shape(user_id, summary)`` per learner (e.g. a message), reused while still true."""

    def __init__(self, shape: Callable[[int, dict[str, Any]], T],
                 ttl: float = LEARNER_COUNT_SECONDS, capacity: int = 50_000) -> None:
        self.shape = shape
        self.ttl = ttl
        self.capacity = capacity
        self._entries: dict[int, tuple[Any, float, T]] = {}
        self._lock = threading.Lock()
        self._rules: tuple[dict[str, Any], str] = ({}, _rules_key({}))

    def get(self, user_id: int, now: datetime | None = None) -> T:
        now = now or utcnow()
        rules = current_app.config["ACHIEVEMENTS_CONFIG"].RULES
        rules_key = self._rules_key(rules)
        version = learner_version(user_id)  # raises NotFound for an unknown learner
        hit = self._entries.get(user_id)
        if version is not None and hit is not None and hit[1] > time.monotonic() \
                and hit[0] == _key(version, now, rules_key):
            return hit[2]
        facts = summary_facts(user_id, level_keys(rules))
        value = self.shape(user_id, summary_of(facts, now, rules))
        if facts.version is not None:
            self._store(user_id, (_key(facts.version, now, rules_key),
                                  time.monotonic() + self.ttl, value))
        return value

    def _rules_key(self, rules: dict[str, Any]) -> str:
        """``rules`` as a key, serialized again only when they differ from the last seen."""
        seen, key = self._rules
        if rules != seen:
            key = _rules_key(rules)
            self._rules = (copy.deepcopy(rules), key)  # a copy: rules changed in place differ
        return key

    def _store(self, user_id: int, entry: tuple[Any, float, T]) -> None:
        with self._lock:
            if len(self._entries) >= self.capacity:
                self._entries = {}
            self._entries[user_id] = entry


def _rules_key(rules: dict[str, Any]) -> str:
    return json.dumps(rules, sort_keys=True, default=str)


def _key(version: tuple[Any, ...], now: datetime, rules_key: str) -> tuple[Any, ...]:
    today = now.astimezone(learner_zone(version[0])).date()
    return version, today, rules_key

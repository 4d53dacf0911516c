"""A learner's achievements at a glance: counts, the next locked levels, and rarity.

Rarity reads the maintained ``achievement_stats`` counters and a learner
count, never the award table of other learners, so a summary costs one
statement of indexed lookups whatever the number of awards in the system.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, Generic, TypeVar

from flask import current_app

from app.domain.criteria import modules_completed
from app.domain.rules import longest_run
from app.domain.state import LearnerState
from app.domain.types import threshold_levels
from app.domain.wording import HIDDEN_BADGE, level_title_words, progress_words
from app.infra.caches.learner_count import LEARNER_COUNT_SECONDS
from app.infra.caches.learner_summaries import LearnerSummaries
from app.models.types import utcnow
from app.read.learner_state import learner_zone
from app.read.summary_facts import SummaryFacts, learner_version, summary_facts

T = TypeVar("T")


def learner_summary(user_id: int, *, now: datetime | None = None,
                    overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """``{"counts", "total", "next_milestones", "rarity"}`` for one learner.

    Its facts come in one statement on PostgreSQL (see :mod:`summary_facts`).
    """
    if overrides is None:
        overrides = current_app.config["ACHIEVEMENTS_CONFIG"].RULES
    return summary_of(summary_facts(user_id, level_keys(overrides)), now, overrides)


def summary_of(facts: SummaryFacts, now: datetime | None,
               overrides: dict[str, Any] | None) -> dict[str, Any]:
    held = {key for key, _, _ in facts.awards}
    visible = {key for key, _, revoked in facts.awards if not revoked}
    counts = Counter(kind for _, kind, revoked in facts.awards if not revoked)
    today = (now or utcnow()).astimezone(learner_zone(facts.learner.timezone)).date()
    upcoming = next_milestones(facts.state, held, today, overrides)
    keys = visible | {m["key"] for m in upcoming}
    holders, learners = facts.holders, facts.learners
    return {"counts": dict(counts), "total": sum(counts.values()),
            "next_milestones": upcoming + badge_milestones(facts.state, held),
            "locked_badges": locked_badges(facts.state, held),
            "rarity": {key: min(holders.get(key, 0) / learners, 1.0) for key in sorted(keys)}}


def level_keys(overrides: dict[str, Any] | None) -> list[str]:
    """Every dedupe key :func:`next_milestones` can name."""
    keys = []
    for kind in ("milestone", "streak"):
        for unit, levels in threshold_levels(kind, overrides).items():
            prefix = f"milestone:{unit}" if kind == "milestone" else "streak"
            keys += [f"{prefix}:{n}" for n in levels]
    return keys


def next_milestones(state: LearnerState, held: set[str], today: date,
                    overrides: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """For each leveled counter, the lowest level not yet awarded and progress toward it.

    A revoked level counts as awarded: detection will not award it again, so
    it is not something the learner can still unlock. A level the catalog cannot
    reach ("10 modules completed" with 5 modules in it) is no goal either.
    """
    current = {"modules": state.completed_module_count(),
               "courses": len(state.completed_courses()),
               "days": current_run(state.active_days, today)}
    reachable = {"modules": len(state.catalog.modules), "courses": len(state.catalog.courses)}
    upcoming = []
    for kind in ("milestone", "streak"):
        for unit, levels in threshold_levels(kind, overrides).items():
            prefix = f"milestone:{unit}" if kind == "milestone" else "streak"
            target = next((n for n in levels if f"{prefix}:{n}" not in held), None)
            if target is not None and target <= reachable.get(unit, target):
                upcoming.append(_milestone(kind, f"{prefix}:{target}", current[unit], target,
                                           unit))
    return upcoming


def _milestone(kind: str, key: str, current: int, target: int, unit: str) -> dict[str, Any]:
    """A locked level; its English ``title`` and ``text`` (the reader's language is
    rendered at the edge from the same words, app/read/wording.py)."""
    current = min(current, target)
    facts = {"current": current, "target": target, "days": target, "threshold": target}
    return {"key": key, "type": kind, "title": level_title_words(kind, unit).english(facts),
            "current": current, "target": target, "unit": unit,
            "text": progress_words(kind, unit).english(facts)}


def badge_milestones(state: LearnerState, held: set[str]) -> list[dict[str, Any]]:
    """Progress toward published badges not yet held whose criteria are one count or
    streak (``modules_completed``, ``streak_days``); hidden badges keep their secret."""
    upcoming = []
    for badge in state.catalog.badges.values():
        criteria = badge.criteria
        if badge.dedupe_key in held or badge.hidden:
            continue
        if "modules_completed" in criteria:
            if criteria["modules_completed"] > _modules_in(state, criteria.get("course")):
                continue  # the catalog has too few modules: no goal to show
            current = modules_completed(state, criteria.get("course"))
            upcoming.append(_badge_milestone(badge.dedupe_key, badge.title, current,
                                             criteria["modules_completed"], "modules"))
        elif "streak_days" in criteria:
            upcoming.append(_badge_milestone(badge.dedupe_key, badge.title,
                                             longest_run(state.active_days),
                                             criteria["streak_days"], "days"))
    return upcoming


def _modules_in(state: LearnerState, course: str | None) -> int:
    """How many modules the catalog has (in ``course``, when named)."""
    if course is None:
        return len(state.catalog.modules)
    return sum(1 for key in state.catalog.modules if state.catalog.course_of_module(key) == course)


def _badge_milestone(key: str, title: str, current: int, target: int,
                     unit: str) -> dict[str, Any]:
    current = min(current, target)
    text = progress_words("badge", unit).english({"current": current, "target": target})
    return {"key": key, "type": "badge", "title": title, "current": current,
            "target": target, "unit": unit, "text": text}


def locked_badges(state: LearnerState, held: set[str]) -> list[dict[str, Any]]:
    """Published badges the learner can still earn: hidden ones as a mystery (no title,
    no description, no criteria) until earned."""
    return [{"key": badge.dedupe_key, "hidden": badge.hidden,
             "title": HIDDEN_BADGE[0].singular if badge.hidden else badge.title,
             "description": HIDDEN_BADGE[1].singular if badge.hidden else badge.description}
            for badge in sorted(state.catalog.badges.values(), key=lambda b: b.key)
            if badge.dedupe_key not in held]


def current_run(days: set[date], today: date) -> int:
    """Consecutive active days ending today, or yesterday (today is not over yet)."""
    end = today if today in days else today - timedelta(days=1)
    run = 0
    while end - timedelta(days=run) in days:
        run += 1
    return run


class CachedSummaries(Generic[T]):
    """``shape(user_id, summary)`` per learner, answered again while nothing it shows changed.

    The key is the learner's version (one small statement), their local date
    (streak progress counts days) and the rules in force; the values live in an
    :class:`~app.infra.caches.learner_summaries.LearnerSummaries`, whose docstring
    gives the bound: the learner's own facts never stale, rarity at most ``ttl`` s.
    """

    def __init__(self, shape: Callable[[int, dict[str, Any]], T],
                 ttl: float = LEARNER_COUNT_SECONDS) -> None:
        self.shape = shape
        self._kept: LearnerSummaries[T] = LearnerSummaries(ttl)
        self._rules: tuple[dict[str, Any], str] = ({}, _rules_key({}))

    def get(self, user_id: int, now: datetime | None = None) -> T:
        now = now or utcnow()
        rules = current_app.config["ACHIEVEMENTS_CONFIG"].RULES
        rules_key = self._rules_key(rules)
        version = learner_version(user_id)  # raises NotFound for an unknown learner

        def build() -> tuple[tuple[Any, ...] | None, T]:
            facts = summary_facts(user_id, level_keys(rules))
            value = self.shape(user_id, summary_of(facts, now, rules))
            return _key(facts.version, now, rules_key), value

        return self._kept.get(user_id, _key(version, now, rules_key), build)

    def _rules_key(self, rules: dict[str, Any]) -> str:
        """``rules`` as a key, serialized again only when they differ from the last seen."""
        seen, key = self._rules
        if rules != seen:
            key = _rules_key(rules)
            self._rules = (copy.deepcopy(rules), key)  # a copy: rules changed in place differ
        return key


def _rules_key(rules: dict[str, Any]) -> str:
    return json.dumps(rules, sort_keys=True, default=str)


def _key(version: tuple[Any, ...] | None, now: datetime,
         rules_key: str) -> tuple[Any, ...] | None:
    if version is None:
        return None
    today = now.astimezone(learner_zone(version[0])).date()
    return version, today, rules_key

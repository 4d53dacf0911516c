"""A learner's achievements at a glance: counts, the next locked levels, and rarity.

Rarity reads the maintained ``achievement_stats`` counters and a learner
count, never the award table of other learners, so a summary costs one
statement of indexed lookups whatever the number of awards in the system.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app

from app.achievements.loader import learner_zone
from app.achievements.state import LearnerState
from app.achievements.summary_facts import SummaryFacts, summary_facts
from app.achievements.types import threshold_levels
from app.models.types import utcnow

UNIT_WORDS = {"modules": ("module", "modules"), "courses": ("course", "courses"),
              "days": ("day", "days")}


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
    return {"counts": dict(counts), "total": sum(counts.values()), "next_milestones": upcoming,
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
    it is not something the learner can still unlock.
    """
    current = {"modules": state.completed_module_count(),
               "courses": len(state.completed_courses()),
               "days": current_run(state.active_days, today)}
    upcoming = []
    for kind in ("milestone", "streak"):
        for unit, levels in threshold_levels(kind, overrides).items():
            prefix = f"milestone:{unit}" if kind == "milestone" else "streak"
            target = next((n for n in levels if f"{prefix}:{n}" not in held), None)
            if target is not None:
                upcoming.append(_milestone(kind, f"{prefix}:{target}", current[unit], target,
                                           unit))
    return upcoming


def _milestone(kind: str, key: str, current: int, target: int, unit: str) -> dict[str, Any]:
    noun = UNIT_WORDS[unit][0 if target == 1 else 1]
    current = min(current, target)
    if kind == "streak":
        title, text = f"{target}-day streak", f"streak {current} of {target} {noun}"
    else:
        title, text = f"{target} {noun} completed", f"{current} of {target} {noun}"
    return {"key": key, "type": kind, "title": title, "current": current,
            "target": target, "unit": unit, "text": text}


def current_run(days: set[date], today: date) -> int:
    """Consecutive active days ending today, or yesterday (today is not over yet)."""
    end = today if today in days else today - timedelta(days=1)
    run = 0
    while end - timedelta(days=run) in days:
        run += 1
    return run

"""A learner's achievements at a glance: counts, the next locked levels, and rarity.

Rarity reads the maintained ``achievement_stats`` counters and a learner
count, never the award table of other learners, so a summary costs a handful
of indexed queries whatever the number of awards in the system.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, null, select, union_all
from sqlalchemy.orm import aliased

from app.achievements.loader import Learner, learner_zone, load_state
from app.achievements.state import LearnerState
from app.achievements.stats import LEARNER_ROLE
from app.achievements.types import threshold_levels
from app.errors import NotFound
from app.extensions import db
from app.models import Achievement, AchievementStat, User
from app.models.types import utcnow

UNIT_WORDS = {"modules": ("module", "modules"), "courses": ("course", "courses"),
              "days": ("day", "days")}


def learner_summary(user_id: int, *, now: datetime | None = None,
                    overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """``{"counts", "total", "next_milestones", "rarity"}`` for one learner.

    Two queries besides the learner's state (instead of one per figure): the
    learner with the rarity denominator, and their award keys with holder
    counts, together with the holder counts of every milestone level.
    """
    if overrides is None:
        overrides = current_app.config["ACHIEVEMENTS_CONFIG"].RULES
    learner, learners = _learner(user_id)
    awards, holders = _awards_and_holders(user_id, _level_keys(overrides))
    held = {key for key, _, _ in awards}
    visible = {key for key, _, revoked in awards if revoked is None}
    counts = Counter(kind for _, kind, revoked in awards if revoked is None)
    today = (now or utcnow()).astimezone(learner_zone(learner.timezone)).date()
    upcoming = next_milestones(load_state(learner), held, today, overrides)
    keys = visible | {m["key"] for m in upcoming}
    return {"counts": dict(counts), "total": sum(counts.values()), "next_milestones": upcoming,
            "rarity": {key: min(holders.get(key, 0) / learners, 1.0) for key in sorted(keys)}}


def _learner(user_id: int) -> tuple[Learner, int]:
    """The learner and the rarity denominator (people with the learner role, at least 1)."""
    others = aliased(User)
    learners = (select(func.count()).select_from(others)
                .where(others.role == LEARNER_ROLE).scalar_subquery())
    row = db.session.execute(select(User.timezone, learners).where(User.id == user_id)).first()
    if row is None:
        raise NotFound(f"no user {user_id}")
    return Learner(user_id, row[0]), max(int(row[1] or 0), 1)


def _awards_and_holders(user_id: int, level_keys: list[str]
                        ) -> tuple[list[tuple[str, str, Any]], dict[str, int]]:
    """((key, type, revoked_at) of every award the learner holds, holders per key), where
    the holder counts cover those keys and every level key (the possible next milestones)."""
    stat = AchievementStat
    own = (select(Achievement.dedupe_key, Achievement.achievement_type, Achievement.revoked_at,
                  stat.holders)
           .outerjoin(stat, stat.dedupe_key == Achievement.dedupe_key)
           .where(Achievement.user_id == user_id))
    levels = select(stat.dedupe_key, null(), null(), stat.holders).where(
        stat.dedupe_key.in_(level_keys))
    awards, holders = [], {}
    for key, kind, revoked, count in db.session.execute(union_all(own, levels)):
        if kind is not None:
            awards.append((key, kind, revoked))
        holders[key] = int(count or 0)
    return awards, holders


def _level_keys(overrides: dict[str, Any] | None) -> list[str]:
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

"""A learner's achievements at a glance: counts, the next locked levels, and rarity.

Rarity reads the maintained ``achievement_stats`` counters and a learner
count, never the award table of other learners, so a summary costs a handful
of indexed queries whatever the number of awards in the system.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from app.achievements.loader import learner_zone, load_state
from app.achievements.state import LearnerState
from app.achievements.stats import holders, learner_count
from app.achievements.types import threshold_levels
from app.errors import NotFound
from app.extensions import db
from app.models import Achievement, User
from app.models.types import utcnow

UNIT_WORDS = {"modules": ("module", "modules"), "courses": ("course", "courses"),
              "days": ("day", "days")}


def learner_summary(user_id: int, *, now: datetime | None = None,
                    overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """``{"counts", "total", "next_milestones", "rarity"}`` for one learner."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    if overrides is None:
        overrides = current_app.config["ACHIEVEMENTS_CONFIG"].RULES
    counts = _counts(user_id)
    held, visible = _keys(user_id)
    today = (now or utcnow()).astimezone(learner_zone(user.timezone)).date()
    upcoming = next_milestones(load_state(user), held, today, overrides)
    return {"counts": counts, "total": sum(counts.values()), "next_milestones": upcoming,
            "rarity": rarity(visible | {m["key"] for m in upcoming})}


def _counts(user_id: int) -> dict[str, int]:
    query = (select(Achievement.achievement_type, func.count())
             .where(Achievement.user_id == user_id, Achievement.revoked_at.is_(None))
             .group_by(Achievement.achievement_type))
    return {kind: int(n) for kind, n in db.session.execute(query)}


def _keys(user_id: int) -> tuple[set[str], set[str]]:
    """(every key the learner holds, revoked included; the keys they can see)."""
    rows = db.session.execute(select(Achievement.dedupe_key, Achievement.revoked_at)
                              .where(Achievement.user_id == user_id)).all()
    return {key for key, _ in rows}, {key for key, revoked in rows if revoked is None}


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


def rarity(keys: set[str]) -> dict[str, float]:
    """Share of learners (0..1) holding each award key, from the maintained counters."""
    counts = holders(keys)
    learners = learner_count()
    return {key: min(counts.get(key, 0) / learners, 1.0) for key in sorted(keys)}

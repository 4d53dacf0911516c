"""Author-defined badges for the benchmarks: ``count`` varied definitions over the
throughput catalog (``t<i>`` courses of 10-module units), published before the run.

Most are never earned by anyone (a last module nobody reaches, a streak the bench's
one-day history cannot make, a course nobody finishes, a chain on one of those), so
detection pays for evaluating them on every learner; each learner earns two: a count of
their course's modules, and a ``holds`` chain on it plus a built-in award.
"""

from __future__ import annotations

from typing import Any


def definitions(count: int, courses: int, per_learner: int) -> list[dict[str, Any]]:
    """``count`` badges ``b0``.. in order, so a ``holds`` names only earlier ones."""
    units = -(-per_learner // 10)
    return [{"key": f"b{j}", "title": f"Bench badge {j}",
             "criteria": _criteria(j, f"t{(j // 10) % courses}", units, per_learner)}
            for j in range(count)]


def _criteria(j: int, course: str, units: int, per_learner: int) -> dict[str, Any]:
    last_unit = f"{course}-u{units}"
    never = {"streak_days": 30}
    kinds: list[dict[str, Any]] = [
        {"all": [{"module_complete": f"{last_unit}-m10"}, {"streak_days": 3}]},
        {"any": [{"course_complete": course}, {"streak_days": 7}]},
        {"at_least": 2, "of": [{"unit_complete": last_unit}, never,
                               {"modules_completed": per_learner + 1, "course": course}]},
        {"modules_completed": per_learner + 5},
        {"holds": f"course_complete:{course}"},
        {"all": [{"holds": f"badge:b{j - 5}"}, {"modules_completed": 1}]},
        {"any": [{"module_complete": f"{last_unit}-m10"}, never]},
        {"at_least": 1, "of": [{"holds": "milestone:modules:500"}, never]},
        {"modules_completed": min(3, per_learner), "course": course},  # earned
        {"all": [{"holds": f"badge:b{j - 1}"}, {"holds": "milestone:modules:1"}]},  # earned
    ]
    return kinds[j % 10]


def publish(count: int, courses: int, per_learner: int) -> list[str]:
    """Create and publish the badges (call after the catalog import, before the learners:
    each publish backfills every learner there is)."""
    from app.services.badges import import_badges

    return import_badges(definitions(count, courses, per_learner), publish=True,
                         actor="bench")

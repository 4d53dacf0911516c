"""The compiled badge plan (app/domain/badge_plan.py): dependencies first so one pass
settles a ``holds`` chain whatever the keys' order, a cycle among published versions still
reaches the fixed point, shared leaves answered once, and a plan per badges dict."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from app.domain.authored_badge import AuthoredBadge
from app.domain.badge_plan import plan_badges, plan_of
from app.domain.state import CatalogView, CourseInfo, LearnerState, ModuleInfo, UnitInfo

VIEW = CatalogView(courses={"c": CourseInfo("c", "C", ("u",))},
                   units={"u": UnitInfo("u", "U", "c", ("m1", "m2"))},
                   modules={"m1": ModuleInfo("m1", "M1", "u"), "m2": ModuleInfo("m2", "M2", "u")})


def badge(key: str, criteria: dict) -> AuthoredBadge:
    return AuthoredBadge(key, key, "", criteria)


def learner(modules: set[str], days: int = 1, view: CatalogView = VIEW) -> LearnerState:
    return LearnerState(1, view, completed_modules=modules,
                        active_days={date(2024, 5, d) for d in range(1, days + 1)})


def keys(found: list[AuthoredBadge]) -> list[str]:
    return [b.key for b in found]


def test_a_chain_listed_backwards_settles_in_one_pass() -> None:
    plan = plan_badges([badge("a", {"holds": "badge:b"}), badge("b", {"holds": "badge:c"}),
                        badge("c", {"modules_completed": 2, "course": "c"})])
    assert plan.ordered and keys([s.badge for s in plan.steps]) == ["c", "b", "a"]
    assert keys(plan.earned(learner({"m1", "m2"}), frozenset())) == ["c", "b", "a"]
    assert plan.earned(learner({"m1"}), frozenset()) == []


def test_a_cycle_among_published_versions_still_reaches_the_fixed_point() -> None:
    plan = plan_badges([badge("x", {"any": [{"holds": "badge:y"}, {"streak_days": 2}]}),
                        badge("y", {"holds": "badge:x"})])
    assert not plan.ordered
    assert sorted(keys(plan.earned(learner(set(), days=2), frozenset()))) == ["x", "y"]
    assert plan.earned(learner(set(), days=1), frozenset()) == []


def test_held_and_revoked_badges_are_not_earned_again_and_revoked_ones_do_not_count() -> None:
    plan = plan_badges([badge("a", {"module_complete": "m1"}),
                        badge("b", {"holds": "badge:a"})])
    state = replace(learner({"m1"}), revoked=frozenset({"badge:a"}))
    assert plan.earned(state, frozenset({"badge:a"})) == []
    assert keys(plan.earned(learner({"m1"}), frozenset({"badge:a"}))) == ["b"]


def test_the_plan_is_kept_per_badges_dict() -> None:
    view = replace(VIEW, badges={"a": badge("a", {"unit_complete": "u"})})
    assert plan_of(view) is plan_of(view)
    other = replace(view, badges={"b": badge("b", {"streak_days": 1})})
    assert keys([s.badge for s in plan_of(other).steps]) == ["b"]
    assert keys(plan_of(view).earned(learner({"m1", "m2"}, view=view), frozenset())) == ["a"]

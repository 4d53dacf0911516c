"""Every rule at its thresholds: just below, at and just above (pure state, no database)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.domain.registry import evaluate
from app.domain.state import (
    AssessmentInfo,
    CatalogView,
    CourseInfo,
    LearnerState,
    ModuleInfo,
    UnitInfo,
)

pytestmark = pytest.mark.both_databases  # detection's SQL differs per dialect



def courses(n: int, modules_per_course: int = 1) -> CatalogView:
    """``n`` one-unit courses c<i> with modules c<i>-m<j>."""
    view = CatalogView()
    for i in range(n):
        mods = tuple(f"c{i}-m{j}" for j in range(modules_per_course))
        view.courses[f"c{i}"] = CourseInfo(f"c{i}", f"Course {i}", (f"c{i}-u",))
        view.units[f"c{i}-u"] = UnitInfo(f"c{i}-u", "Unit", f"c{i}", mods)
        view.modules.update({m: ModuleInfo(m, m.upper(), f"c{i}-u") for m in mods})
    return view


def with_quiz(max_score: float = 10, pass_ratio: float = 0.6, required: bool = False,
              **owner: str) -> CatalogView:
    view = courses(1, 2)
    view.assessments["q"] = AssessmentInfo("q", "Quiz", max_score, required, pass_ratio, "c0",
                                           unit_key=owner.get("unit"),
                                           module_key=owner.get("module"))
    return view


def due(view: CatalogView, rule: str, modules=(), scores=None, days=(), rules=None) -> set[str]:
    state = LearnerState(1, view, set(modules), dict(scores or {}), set(days))
    return {a.dedupe_key for a in evaluate(state, rules, only=[rule])}


def run(length: int, start: date = date(2024, 1, 1)) -> set[date]:
    return {start + timedelta(days=i) for i in range(length)}


@pytest.mark.parametrize(("score", "earned"), [(8.99, False), (9, True), (9.5, True)])
def test_high_score_at_ninety_percent(score: float, earned: bool) -> None:
    assert (due(with_quiz(), "high_score", scores={"q": score}) == {"high_score:q"}) is earned


@pytest.mark.parametrize(("score", "earned"), [(26.99, False), (27, True), (27.01, True)])
def test_high_score_ratio_not_multiplication(score: float, earned: bool) -> None:
    assert bool(due(with_quiz(30), "high_score", scores={"q": score})) is earned


def test_high_score_threshold_is_configurable() -> None:
    rules = {"high_score": {"ratio": 0.95}}
    assert due(with_quiz(), "high_score", scores={"q": 9.4}, rules=rules) == set()
    assert due(with_quiz(), "high_score", scores={"q": 9.5}, rules=rules) == {"high_score:q"}


@pytest.mark.parametrize(("score", "earned"), [(9.99, False), (10, True)])
def test_perfect_score_needs_max(score: float, earned: bool) -> None:
    assert (due(with_quiz(), "perfect_score", scores={"q": score}) == {"perfect_score:q"}) is earned


def test_perfect_score_with_fractional_max() -> None:
    assert due(with_quiz(7.5), "perfect_score", scores={"q": 7.5}) == {"perfect_score:q"}


@pytest.mark.parametrize(("best", "complete"), [(5.9, False), (6, True), (6.1, True)])
def test_unit_required_assessment_at_pass_ratio(best: float, complete: bool) -> None:
    view = with_quiz(required=True, unit="c0-u")
    got = due(view, "unit_complete", modules={"c0-m0", "c0-m1"}, scores={"q": best})
    assert (got == {"unit_complete:c0-u"}) is complete


def test_pass_ratio_is_per_assessment() -> None:
    view = with_quiz(required=True, pass_ratio=0.8, module="c0-m1")
    assert due(view, "unit_complete", modules={"c0-m0", "c0-m1"}, scores={"q": 7.9}) == set()
    assert due(view, "unit_complete", modules={"c0-m0", "c0-m1"}, scores={"q": 8}) != set()


def test_optional_assessment_does_not_block_completion() -> None:
    view = with_quiz(required=False, unit="c0-u")
    assert due(view, "course_complete", modules={"c0-m0", "c0-m1"}) == {"course_complete:c0"}


def test_failed_required_course_assessment_blocks_only_the_course() -> None:
    view = with_quiz(required=True)
    done = {"c0-m0", "c0-m1"}
    assert due(view, "unit_complete", modules=done, scores={"q": 1}) == {"unit_complete:c0-u"}
    assert due(view, "course_complete", modules=done, scores={"q": 1}) == set()


def test_unit_with_nothing_in_it_is_never_complete() -> None:
    view = courses(1, 0)
    assert due(view, "unit_complete") == set()
    assert due(view, "course_complete") == set()


def test_unit_of_only_a_required_assessment_completes_when_passed() -> None:
    view = courses(1, 0)
    view.assessments["q"] = AssessmentInfo("q", "Q", 10, True, 0.6, "c0", unit_key="c0-u")
    assert due(view, "unit_complete", scores={"q": 6}) == {"unit_complete:c0-u"}


@pytest.mark.parametrize(("days", "expected"), [
    (2, set()), (3, {"streak:3"}), (4, {"streak:3"}),
    (6, {"streak:3"}), (7, {"streak:3", "streak:7"}), (8, {"streak:3", "streak:7"}),
])
def test_streak_levels(days: int, expected: set[str]) -> None:
    assert due(courses(0), "streak", days=run(days)) == expected


@pytest.mark.parametrize("level", [14, 30, 60, 100, 365])
def test_long_streak_levels_just_below_and_at(level: int) -> None:
    assert f"streak:{level}" not in due(courses(0), "streak", days=run(level - 1))
    assert f"streak:{level}" in due(courses(0), "streak", days=run(level))


def test_streak_is_the_longest_run_not_the_total() -> None:
    days = run(2) | run(2, date(2024, 2, 1)) | run(2, date(2024, 3, 1))
    assert due(courses(0), "streak", days=days) == set()


def test_streak_thresholds_are_configurable() -> None:
    rules = {"streak": {"thresholds": [2, 5]}}
    assert due(courses(0), "streak", days=run(2), rules=rules) == {"streak:2"}


@pytest.mark.parametrize(("count", "highest"), [
    (0, None), (1, 1), (9, 1), (10, 10), (11, 10), (24, 10), (25, 25), (49, 25), (50, 50),
    (99, 50), (100, 100), (249, 100), (250, 250), (499, 250), (500, 500), (501, 500),
])
def test_module_milestones(count: int, highest: int | None) -> None:
    view = courses(1, 501)
    got = due(view, "milestone", modules={f"c0-m{j}" for j in range(count)})
    levels = {int(k.rsplit(":", 1)[1]) for k in got if k.startswith("milestone:modules:")}
    expected = {n for n in (1, 10, 25, 50, 100, 250, 500) if highest and n <= highest}
    assert levels == expected


@pytest.mark.parametrize(("count", "expected"), [
    (0, set()), (1, {1}), (4, {1}), (5, {1, 5}), (6, {1, 5}), (9, {1, 5}), (10, {1, 5, 10}),
    (24, {1, 5, 10}), (25, {1, 5, 10, 25}), (26, {1, 5, 10, 25}),
])
def test_course_milestones(count: int, expected: set[int]) -> None:
    view = courses(26)
    got = due(view, "milestone", modules={f"c{i}-m0" for i in range(count)})
    assert {int(k.rsplit(":", 1)[1]) for k in got if ":courses:" in k} == expected


def test_milestones_are_configurable() -> None:
    rules = {"milestone": {"modules": [2], "courses": []}}
    view = courses(2)
    assert due(view, "milestone", modules={"c0-m0"}, rules=rules) == set()
    assert due(view, "milestone", modules={"c0-m0", "c1-m0"}, rules=rules) == {
        "milestone:modules:2"}


def test_a_disabled_rule_awards_nothing() -> None:
    rules = {"module_complete": {"enabled": False}}
    assert due(courses(1), "module_complete", modules={"c0-m0"}, rules=rules) == set()


def test_metadata_carries_what_the_display_needs() -> None:
    state = LearnerState(1, with_quiz(), {"c0-m0"}, {"q": 10}, run(3))
    meta = {a.dedupe_key: a.metadata for a in evaluate(state)}
    assert meta["module_complete:c0-m0"]["module_title"] == "C0-M0"
    assert meta["module_complete:c0-m0"]["course_title"] == "Course 0"
    assert meta["high_score:q"].items() >= {"score": 10, "max_score": 10,
                                            "assessment_title": "Quiz"}.items()
    assert meta["streak:3"]["days"] == 3
    assert meta["milestone:modules:1"]["count"] == 1


def test_words_are_filled_from_the_metadata_when_stored_not_when_evaluated() -> None:
    state = LearnerState(1, with_quiz(), {"c0-m0"}, {"q": 10}, run(3))
    awards = {a.dedupe_key: a for a in evaluate(state)}
    assert not any("words" in vars(a) for a in awards.values())  # none made while evaluating
    assert awards["module_complete:c0-m0"].words == ("Module complete: C0-M0",
                                                     "You completed C0-M0.")
    assert awards["streak:3"].words == ("3-day streak", "You learned on 3 days in a row.")

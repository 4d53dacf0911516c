"""Unit tests for the completion rules of design section 2 (pure state, no database)."""

from __future__ import annotations

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


def catalog(*required: AssessmentInfo) -> CatalogView:
    """Course c1: unit u1 (m1, m2) and unit u2 (m3)."""
    view = CatalogView(
        courses={"c1": CourseInfo("c1", "Course", ("u1", "u2"))},
        units={"u1": UnitInfo("u1", "Unit 1", "c1", ("m1", "m2")),
               "u2": UnitInfo("u2", "Unit 2", "c1", ("m3",))},
        modules={"m1": ModuleInfo("m1", "M1", "u1"), "m2": ModuleInfo("m2", "M2", "u1"),
                 "m3": ModuleInfo("m3", "M3", "u2")},
    )
    view.assessments = {a.key: a for a in required}
    return view


def quiz(key: str, **owner: str) -> AssessmentInfo:
    return AssessmentInfo(key, key.title(), 10, True, 0.6, "c1",
                          unit_key=owner.get("unit"), module_key=owner.get("module"))


def keys(state: LearnerState, rule: str) -> set[str]:
    return {a.dedupe_key for a in evaluate(state, only=[rule])}


def state(view: CatalogView, modules: set[str], scores: dict[str, float] | None = None):
    return LearnerState(1, view, set(modules), scores or {})


def test_a_completed_module_earns_module_complete() -> None:
    assert keys(state(catalog(), {"m1"}), "module_complete") == {"module_complete:m1"}


def test_no_module_no_module_award() -> None:
    assert keys(state(catalog(), set()), "module_complete") == set()


def test_unit_needs_every_module() -> None:
    assert keys(state(catalog(), {"m1"}), "unit_complete") == set()
    assert keys(state(catalog(), {"m1", "m2"}), "unit_complete") == {"unit_complete:u1"}


def test_unit_needs_its_required_assessment_passed() -> None:
    view = catalog(quiz("q1", unit="u1"))
    assert keys(state(view, {"m1", "m2"}), "unit_complete") == set()
    assert keys(state(view, {"m1", "m2"}, {"q1": 5.9}), "unit_complete") == set()
    assert keys(state(view, {"m1", "m2"}, {"q1": 6}), "unit_complete") == {"unit_complete:u1"}


def test_unit_needs_required_assessments_of_its_modules() -> None:
    view = catalog(quiz("q2", module="m2"))
    assert keys(state(view, {"m1", "m2"}), "unit_complete") == set()
    assert keys(state(view, {"m1", "m2"}, {"q2": 10}), "unit_complete") == {"unit_complete:u1"}


def test_course_needs_every_unit() -> None:
    assert keys(state(catalog(), {"m1", "m2"}), "course_complete") == set()
    assert keys(state(catalog(), {"m1", "m2", "m3"}), "course_complete") == {"course_complete:c1"}


def test_course_needs_its_course_level_assessment() -> None:
    view = catalog(quiz("final"))
    done = {"m1", "m2", "m3"}
    assert keys(state(view, done), "course_complete") == set()
    assert keys(state(view, done, {"final": 6}), "course_complete") == {"course_complete:c1"}

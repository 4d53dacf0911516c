"""Badge definitions: validation names the failing path; each criterion kind evaluates as
design section 2 says; ``holds`` chains settle in one evaluation."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.domain.authored_badge import AuthoredBadge
from app.domain.badge_rules import courses_named, earned_badges, parse_definition
from app.domain.criteria import CRITERIA, Context
from app.domain.state import (
    AssessmentInfo,
    CatalogView,
    CourseInfo,
    LearnerState,
    ModuleInfo,
    UnitInfo,
)
from app.errors import InvalidInput

VIEW = CatalogView(
    courses={"c1": CourseInfo("c1", "C1", ("u1",)), "c2": CourseInfo("c2", "C2", ("u2",))},
    units={"u1": UnitInfo("u1", "U1", "c1", ("m1", "m2")),
           "u2": UnitInfo("u2", "U2", "c2", ("m3",))},
    modules={"m1": ModuleInfo("m1", "M1", "u1"), "m2": ModuleInfo("m2", "M2", "u1"),
             "m3": ModuleInfo("m3", "M3", "u2")},
    assessments={"q1": AssessmentInfo("q1", "Q1", 10, False, 0.6, "c1", "u1")},
)
CTX = Context(VIEW, frozenset({"first", "second"}))


def parse(criteria: object, key: str = "new", others: dict | None = None) -> AuthoredBadge:
    return parse_definition({"key": key, "title": "T", "criteria": criteria}, CTX, others or {})


def errors_of(criteria: object, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(InvalidInput) as caught:
        parse(criteria, **kwargs)
    return caught.value.fields


def state(**facts) -> LearnerState:
    return LearnerState(1, VIEW, **facts)


def test_a_well_formed_tree_parses() -> None:
    badge = parse({"all": [{"module_complete": "m1"},
                           {"at_least": 1, "of": [{"unit_complete": "u1"},
                                                  {"streak_days": 3}]}]})
    assert badge.dedupe_key == "badge:new" and badge.version == 1


def test_an_unknown_holds_target_names_its_path() -> None:
    assert "criteria.all[1].holds" in errors_of(
        {"all": [{"module_complete": "m1"}, {"holds": "badge:nope"}]})


@pytest.mark.parametrize(("criteria", "path"), [
    ({"module_complete": "zz"}, "criteria.module_complete"),
    ({"unit_complete": "zz"}, "criteria.unit_complete"),
    ({"course_complete": "zz"}, "criteria.course_complete"),
    ({"score_at_least": {"assessment": "zz", "ratio": 0.5}}, "criteria.score_at_least.assessment"),
    ({"score_at_least": {"assessment": "q1", "ratio": 0}}, "criteria.score_at_least.ratio"),
    ({"score_at_least": {"assessment": "q1", "ratio": 1.5}}, "criteria.score_at_least.ratio"),
    ({"modules_completed": 0}, "criteria.modules_completed"),
    ({"modules_completed": 2, "course": "zz"}, "criteria.course"),
    ({"streak_days": True}, "criteria.streak_days"),
    ({"all": []}, "criteria.all"),
    ({"any": "m1"}, "criteria.any"),
    ({"at_least": 3, "of": [{"module_complete": "m1"}, {"module_complete": "m2"}]},
     "criteria.at_least"),
    ({"at_least": 0, "of": [{"module_complete": "m1"}]}, "criteria.at_least"),
    ({"module_complete": "m1", "unit_complete": "u1"}, "criteria"),
    ({"module_complete": "m1", "extra": 1}, "criteria.extra"),
    ({"bogus": 1}, "criteria"),
    ("m1", "criteria"),
])
def test_each_malformed_part_is_named(criteria: object, path: str) -> None:
    assert path in errors_of(criteria)


def test_too_deep_a_tree_is_refused() -> None:
    node: dict = {"module_complete": "m1"}
    for _ in range(12):
        node = {"all": [node]}
    assert errors_of(node)


def test_a_holds_cycle_is_refused() -> None:
    first = AuthoredBadge("first", "F", "", {"holds": "badge:second"})
    second = AuthoredBadge("second", "S", "", {"holds": "badge:new"})
    assert "criteria" in errors_of({"holds": "badge:first"},
                                   others={"first": first, "second": second})


def test_a_badge_holding_itself_is_a_cycle() -> None:
    ctx = Context(VIEW, frozenset({"new"}))
    with pytest.raises(InvalidInput):
        parse_definition({"key": "new", "title": "T", "criteria": {"holds": "badge:new"}},
                         ctx, {})


@pytest.mark.parametrize("field", ["key", "title", "hidden", "expires_after_days", "image"])
def test_bad_fields_are_named(field: str) -> None:
    body = {"key": "ok", "title": "T", "criteria": {"module_complete": "m1"},
            "hidden": False, "expires_after_days": None, "image": {}}
    body[field] = {"key": "Not A Key!", "title": " ", "hidden": "yes",
                   "expires_after_days": 0, "image": "x"}[field]
    with pytest.raises(InvalidInput) as caught:
        parse_definition(body, CTX, {})
    assert field in caught.value.fields


def test_levels_and_built_in_awards_are_known_holds_targets() -> None:
    for key in ("streak:7", "milestone:modules:10", "module_complete:m1", "high_score:q1",
                "badge:first"):
        parse({"holds": key})


def test_leaves_evaluate_as_the_built_in_rules_mean() -> None:
    learner = state(completed_modules={"m1", "m2"}, best_scores={"q1": 7},
                    active_days={date(2024, 1, 1) + timedelta(days=i) for i in range(4)})
    holds = {"module_complete": "m1", "unit_complete": "u1", "course_complete": "c1",
             "modules_completed": 2, "streak_days": 4}
    for kind, value in holds.items():
        node = {kind: value}
        assert CRITERIA[kind].evaluate(node, learner, frozenset()), kind
    assert not CRITERIA["streak_days"].evaluate({"streak_days": 5}, learner, frozenset())
    assert CRITERIA["score_at_least"].evaluate(
        {"score_at_least": {"assessment": "q1", "ratio": 0.7}}, learner, frozenset())
    assert not CRITERIA["modules_completed"].evaluate(
        {"modules_completed": 1, "course": "c2"}, learner, frozenset())


def test_holds_chains_settle_in_one_evaluation() -> None:
    badges = [AuthoredBadge("third", "3", "", {"holds": "badge:second"}),
              AuthoredBadge("second", "2", "", {"holds": "badge:first"}),
              AuthoredBadge("first", "1", "", {"module_complete": "m1"})]
    earned = earned_badges(state(completed_modules={"m1"}), badges, set())
    assert {a.dedupe_key for a in earned} == {"badge:first", "badge:second", "badge:third"}


def test_a_held_badge_is_not_earned_again() -> None:
    badge = AuthoredBadge("first", "1", "", {"module_complete": "m1"})
    assert earned_badges(state(completed_modules={"m1"}), [badge], {"badge:first"}) == []


def test_courses_named_decides_who_may_author() -> None:
    assert courses_named({"all": [{"module_complete": "m1"}, {"unit_complete": "u2"}]},
                         VIEW) == {"c1", "c2"}
    assert courses_named({"any": [{"module_complete": "m1"}, {"streak_days": 3}]}, VIEW) is None
    assert courses_named({"modules_completed": 2, "course": "c2"}, VIEW) == {"c2"}


def test_every_kind_has_a_builder_widget() -> None:
    assert all(kind.widget.label and kind.widget.fields for kind in CRITERIA.values())

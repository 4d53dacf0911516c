"""Badge criteria: one registry entry per criterion kind, holding its validator, its
evaluator and its builder widget, so a new kind is one place to change (the entry's
class below; the registry's machinery is :mod:`app.domain.criteria_registry`).

A criterion is a dict naming its kind by one key (``{"module_complete": "m1"}``,
``{"all": [...]}``). Every kind is monotone: more progress, or more awards held,
never turns a holding criterion false. That is what lets detection evaluate after
each event, in any order, and award a badge exactly once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from app.domain.criteria_registry import (
    CRITERIA,
    Context,
    Problems,
    Widget,
    WidgetField,
    builder_spec,
    child_criteria,
    criterion,
    holds,
    validate,
)
from app.domain.rules import longest_run
from app.domain.state import LearnerState
from app.domain.wording import N_

__all__ = ["AWARD_SUBJECTS", "CRITERIA", "Context", "Problems", "builder_spec",
           "child_criteria", "holds", "is_whole",
           "known_dedupe_key", "modules_completed", "validate"]


# --- composites -------------------------------------------------------------------------


def _children(node: dict[str, Any], key: str, path: str, ctx: Context, problems: Problems,
              depth: int) -> int:
    children = node.get(key)
    if not isinstance(children, list) or not children:
        problems.add(f"{path}.{key}", "must be a non-empty list of criteria")
        return 0
    for index, child in enumerate(children):
        validate(child, f"{path}.{key}[{index}]", ctx, problems, depth + 1)
    return len(children)


def children(key: str) -> WidgetField:
    """The list of child criteria, under ``key`` of the node."""
    return WidgetField(key, N_("Criteria"), "criteria")


@criterion("all", Widget(N_("All of"), (children("all"),)))
class AllOf:
    @staticmethod
    def validate(node: dict[str, Any], path: str, ctx: Context, problems: Problems,
                 depth: int) -> None:
        _children(node, "all", path, ctx, problems, depth)

    @staticmethod
    def evaluate(node: dict[str, Any], state: LearnerState, held: frozenset[str]) -> bool:
        return all(holds(child, state, held) for child in node["all"])


@criterion("any", Widget(N_("Any of"), (children("any"),)))
class AnyOf:
    @staticmethod
    def validate(node: dict[str, Any], path: str, ctx: Context, problems: Problems,
                 depth: int) -> None:
        _children(node, "any", path, ctx, problems, depth)

    @staticmethod
    def evaluate(node: dict[str, Any], state: LearnerState, held: frozenset[str]) -> bool:
        return any(holds(child, state, held) for child in node["any"])


@criterion("at_least", Widget(N_("At least N of"), (
    WidgetField("at_least", N_("How many must hold (N)"), "count",
                hint=N_("Enter a whole number from 1 to the number of criteria below")),
    children("of"))), extra_keys=("of",))
class AtLeast:
    @staticmethod
    def validate(node: dict[str, Any], path: str, ctx: Context, problems: Problems,
                 depth: int) -> None:
        count = _children(node, "of", path, ctx, problems, depth)
        wanted = node.get("at_least")
        if not is_whole(wanted) or not 1 <= wanted <= max(count, 1):
            problems.add(f"{path}.at_least", f"must be a whole number from 1 to {count}")

    @staticmethod
    def evaluate(node: dict[str, Any], state: LearnerState, held: frozenset[str]) -> bool:
        met = sum(1 for child in node["of"] if holds(child, state, held))
        return met >= node["at_least"]


# --- leaves -------------------------------------------------------------------------------


def is_whole(value: Any) -> bool:
    """An int that is not a bool (JSON true would pass ``isinstance(x, int)``)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _known(value: Any, keys: Iterable[str], path: str, what: str, problems: Problems) -> bool:
    if not isinstance(value, str) or value not in keys:
        problems.add(path, f"unknown {what} {value!r}")
        return False
    return True


@criterion("module_complete", Widget(N_("Module completed"),
                                      (WidgetField("module_complete", N_("Module"), "module"),)))
class ModuleComplete:
    @staticmethod
    def validate(node: dict[str, Any], path: str, ctx: Context, problems: Problems,
                 depth: int) -> None:
        _known(node["module_complete"], ctx.catalog.modules, f"{path}.module_complete",
               "module", problems)

    @staticmethod
    def evaluate(node: dict[str, Any], state: LearnerState, held: frozenset[str]) -> bool:
        return node["module_complete"] in state.completed_modules


@criterion("unit_complete", Widget(N_("Unit completed"),
                                    (WidgetField("unit_complete", N_("Unit"), "unit"),)))
class UnitComplete:
    @staticmethod
    def validate(node: dict[str, Any], path: str, ctx: Context, problems: Problems,
                 depth: int) -> None:
        _known(node["unit_complete"], ctx.catalog.units, f"{path}.unit_complete", "unit",
               problems)

    @staticmethod
    def evaluate(node: dict[str, Any], state: LearnerState, held: frozenset[str]) -> bool:
        key = node["unit_complete"]
        return key in state.catalog.units and state.unit_complete(key)


@criterion("course_complete", Widget(N_("Course completed"),
                                      (WidgetField("course_complete", N_("Course"), "course"),)))
class CourseComplete:
    @staticmethod
    def validate(node: dict[str, Any], path: str, ctx: Context, problems: Problems,
                 depth: int) -> None:
        _known(node["course_complete"], ctx.catalog.courses, f"{path}.course_complete",
               "course", problems)

    @staticmethod
    def evaluate(node: dict[str, Any], state: LearnerState, held: frozenset[str]) -> bool:
        key = node["course_complete"]
        return key in state.catalog.courses and state.course_complete(key)


@criterion("score_at_least", Widget(N_("Best score at least"), (
    WidgetField("assessment", N_("Assessment"), "assessment"),
    WidgetField("ratio", N_("Share of the maximum score (0.01 to 1)"), "ratio"))))
class ScoreAtLeast:
    @staticmethod
    def validate(node: dict[str, Any], path: str, ctx: Context, problems: Problems,
                 depth: int) -> None:
        spec, where = node["score_at_least"], f"{path}.score_at_least"
        if not isinstance(spec, dict) or set(spec) - {"assessment", "ratio"}:
            problems.add(where, 'must be {"assessment": key, "ratio": R}')
            return
        _known(spec.get("assessment"), ctx.catalog.assessments, f"{where}.assessment",
               "assessment", problems)
        ratio = spec.get("ratio")
        if not isinstance(ratio, int | float) or isinstance(ratio, bool) or not 0 < ratio <= 1:
            problems.add(f"{where}.ratio", "must be a number in (0, 1]")

    @staticmethod
    def evaluate(node: dict[str, Any], state: LearnerState, held: frozenset[str]) -> bool:
        spec = node["score_at_least"]
        assessment = state.catalog.assessments.get(spec["assessment"])
        ratio = state.best_ratio(assessment) if assessment else None
        return ratio is not None and ratio >= spec["ratio"]


@criterion("modules_completed", Widget(N_("Modules completed"), (
    WidgetField("modules_completed", N_("How many modules, at least"), "count"),
    WidgetField("course", N_("In course"), "course", optional=True))), extra_keys=("course",))
class ModulesCompleted:
    @staticmethod
    def validate(node: dict[str, Any], path: str, ctx: Context, problems: Problems,
                 depth: int) -> None:
        if not is_whole(node["modules_completed"]) or node["modules_completed"] < 1:
            problems.add(f"{path}.modules_completed", "must be a whole number of at least 1")
        if "course" in node:
            _known(node["course"], ctx.catalog.courses, f"{path}.course", "course", problems)

    @staticmethod
    def evaluate(node: dict[str, Any], state: LearnerState, held: frozenset[str]) -> bool:
        return modules_completed(state, node.get("course")) >= node["modules_completed"]


@criterion("streak_days", Widget(N_("Longest streak of days"), (
    WidgetField("streak_days", N_("How many days in a row, at least"), "count",
                hint=N_("Enter a number of days from 1 to 10000")),)))
class StreakDays:
    @staticmethod
    def validate(node: dict[str, Any], path: str, ctx: Context, problems: Problems,
                 depth: int) -> None:
        if not is_whole(node["streak_days"]) or not 1 <= node["streak_days"] <= 10_000:
            problems.add(f"{path}.streak_days", "must be a whole number from 1 to 10000")

    @staticmethod
    def evaluate(node: dict[str, Any], state: LearnerState, held: frozenset[str]) -> bool:
        return longest_run(state.active_days) >= node["streak_days"]


@criterion("holds", Widget(N_("Holds the award"),
                           (WidgetField("holds", N_("Achievement"), "badge"),)))
class Holds:
    @staticmethod
    def validate(node: dict[str, Any], path: str, ctx: Context, problems: Problems,
                 depth: int) -> None:
        key = node["holds"]
        if not isinstance(key, str) or not known_dedupe_key(key, ctx):
            problems.add(f"{path}.holds", f"unknown award {key!r}")
            return
        problems.holds.add(key)

    @staticmethod
    def evaluate(node: dict[str, Any], state: LearnerState, held: frozenset[str]) -> bool:
        return node["holds"] in held


def modules_completed(state: LearnerState, course: str | None) -> int:
    """Completed modules that still exist, of one course or all."""
    if course is None:
        return state.completed_module_count()
    done = state.completed_modules & state.catalog.modules.keys()
    return sum(1 for key in done if state.catalog.course_of_module(key) == course)


_LEVEL = re.compile(r"^(streak|milestone:modules|milestone:courses):([1-9][0-9]{0,5})$")
# Built-in dedupe key prefix (and completion criterion kind) -> the catalog entries it names.
AWARD_SUBJECTS = {"module_complete": "modules", "unit_complete": "units",
                  "course_complete": "courses", "high_score": "assessments",
                  "perfect_score": "assessments"}


def known_dedupe_key(key: str, ctx: Context) -> bool:
    """A dedupe key some award can carry: a built-in one over known catalog keys, a level
    (``streak:7``, ``milestone:modules:10``), or ``badge:<key>`` of an existing badge."""
    if _LEVEL.match(key):
        return True
    prefix, _, rest = key.partition(":")
    if prefix == "badge":
        return rest in ctx.badge_keys
    what = AWARD_SUBJECTS.get(prefix)
    return what is not None and rest in getattr(ctx.catalog, what)

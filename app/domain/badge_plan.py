"""Published badges prepared for evaluation once per catalog view, so that evaluating a
hundred badges for every learner costs little more than the built-in rules.

Preparing a badge compiles its criteria tree into closures (no per-node dispatch at
evaluation), numbers its leaves so that a leaf shared by many badges (``streak_days: 30``,
``modules_completed: 1``) is computed once per learner, and orders the badges so that a
badge comes after every badge it ``holds``: one pass then settles any chain. Most leaves
are answered by the criteria registry's own evaluators (``app.domain.criteria``); the
cheap and the counting ones (``module_complete``, ``modules_completed``, ``streak_days``,
``holds``) are inlined here over counts made once per learner, meaning what they mean
there (tests/services/badges/test_property_badges.py holds both to the design).

The plan is kept on the :class:`~app.domain.state.CatalogView` it was built from
(:func:`plan_of`), and that view is cached per catalog revision
(``app.infra.caches.catalog``): publishing, editing or archiving a badge bumps the
revision, so the plan is rebuilt with the view. A view given another ``badges`` dict
(a dry run's) gets a plan of its own.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from app.domain import criteria
from app.domain.authored_badge import AuthoredBadge
from app.domain.rules import longest_run
from app.domain.state import CatalogView, LearnerState


class Evaluation:
    """One learner's evaluation: what is held so far, the answers of leaves asked, and the
    counts the counting leaves read (computed on first use, once)."""

    __slots__ = ("_counts", "_streak", "answers", "held", "state")

    def __init__(self, state: LearnerState, held: frozenset[str]) -> None:
        self.state, self.held = state, held
        self.answers: dict[int, bool] = {}
        self._counts: Counter[str | None] | None = None
        self._streak: int | None = None

    def modules_completed(self, course: str | None) -> int:
        """As ``criteria.modules_completed``: completed modules that still exist, of one
        course (or all, ``None``), counted for every course in one walk."""
        if self._counts is None:
            catalog = self.state.catalog
            done = self.state.completed_modules & catalog.modules.keys()
            self._counts = Counter(catalog.course_of_module(key) for key in done)
            self._counts[None] = len(done)
        return self._counts[course]

    def streak(self) -> int:
        """The longest run of active local days, as ``streak_days`` reads it."""
        if self._streak is None:
            self._streak = longest_run(self.state.active_days)
        return self._streak

    def leaf(self, index: int, node: dict[str, Any], kind: criteria.CriterionKind) -> bool:
        """A leaf's answer, computed once: the state does not change during an evaluation."""
        answer = self.answers.get(index)
        if answer is None:
            answer = self.answers[index] = kind.evaluate(node, self.state, self.held)
        return answer


Test = Callable[[Evaluation], bool]


@dataclass
class Compiler:
    """Numbers distinct leaves across all badges and notes the awards each tree holds."""

    leaves: dict[str, int] = field(default_factory=dict)
    holds: set[str] = field(default_factory=set)

    def compile(self, node: dict[str, Any]) -> Test:
        """A closure answering ``node`` for an evaluation."""
        kind = criteria.kind_of(node) if isinstance(node, dict) else None
        if kind is None:
            return lambda ev: False  # as criteria.holds answers a node of no kind
        if kind.key == "holds":
            target = node["holds"]
            self.holds.add(target)
            return lambda ev: target in ev.held  # held grows as badges are earned: no memo
        if kind.key in ("all", "any", "at_least"):
            return self._composite(kind.key, node)
        return self._leaf(kind, node)

    def _leaf(self, kind: criteria.CriterionKind, node: dict[str, Any]) -> Test:
        """The cheap and the counting leaves inline; the rest memoized per evaluation."""
        if kind.key == "module_complete":
            module = node["module_complete"]
            return lambda ev: module in ev.state.completed_modules
        if kind.key == "modules_completed":
            wanted, course = node["modules_completed"], node.get("course")
            return lambda ev: ev.modules_completed(course) >= wanted
        if kind.key == "streak_days":
            days = node["streak_days"]
            return lambda ev: ev.streak() >= days
        index = self.leaves.setdefault(json.dumps(node, sort_keys=True), len(self.leaves))
        return lambda ev: ev.leaf(index, node, kind)

    def _composite(self, key: str, node: dict[str, Any]) -> Test:
        parts = [self.compile(child) for child in node["of" if key == "at_least" else key]]
        if key == "all":
            return lambda ev: all(part(ev) for part in parts)
        if key == "any":
            return lambda ev: any(part(ev) for part in parts)
        wanted = node["at_least"]
        return lambda ev: sum(1 for part in parts if part(ev)) >= wanted


@dataclass(frozen=True)
class Step:
    badge: AuthoredBadge
    test: Test
    holds_badges: bool  # its criteria name another badge: may come true as badges are earned


@dataclass(frozen=True)
class BadgePlan:
    source: dict[str, AuthoredBadge]  # the badges dict it was compiled from (by identity)
    steps: tuple[Step, ...]
    ordered: bool  # every badge after the badges it holds: one pass reaches the fixed point

    def earned(self, state: LearnerState, held: frozenset[str]) -> list[AuthoredBadge]:
        """The badges whose criteria hold, following ``holds`` to a fixed point. Revoked
        awards (``state.revoked``) neither count as held nor are earned again."""
        evaluation = Evaluation(state, held - state.revoked)
        settled = held | state.revoked
        todo = [step for step in self.steps if step.badge.dedupe_key not in settled]
        earned: list[AuthoredBadge] = []
        while todo:
            left = []
            for step in todo:
                if step.test(evaluation):
                    earned.append(step.badge)
                    evaluation.held |= {step.badge.dedupe_key}
                else:
                    left.append(step)
            more = not self.ordered and len(left) < len(todo)
            todo = [step for step in left if step.holds_badges] if more else []
        return earned


def plan_of(view: CatalogView) -> BadgePlan:
    """The view's published badges compiled, built once and kept on the view."""
    plan = view.compiled_badges
    if not isinstance(plan, BadgePlan) or plan.source is not view.badges:
        plan = view.compiled_badges = plan_badges(view.badges.values(), view.badges)
    return plan


def plan_badges(badges: Iterable[AuthoredBadge],
                source: dict[str, AuthoredBadge] | None = None) -> BadgePlan:
    """Compile the badges, dependencies first where the ``holds`` graph allows it."""
    compiler = Compiler()
    found = {b.key: b for b in badges}
    tests, needs = {}, {}
    for key, badge in found.items():
        compiler.holds = set()
        tests[key] = compiler.compile(badge.criteria)
        needs[key] = {t.removeprefix("badge:") for t in compiler.holds
                      if t.startswith("badge:")} & found.keys()
    order, ordered = _dependencies_first(list(found), needs)
    steps = tuple(Step(found[k], tests[k], bool(needs[k])) for k in order)
    return BadgePlan(found if source is None else source, steps, ordered)


def _dependencies_first(keys: list[str], needs: dict[str, set[str]]) -> tuple[list[str], bool]:
    """``keys`` reordered so each comes after what it needs (stable otherwise), and whether
    that was possible (a cycle among published versions leaves the rest as they were)."""
    placed: list[str] = []
    done: set[str] = set()
    waiting = list(keys)
    while waiting:
        ready = [key for key in waiting if needs[key] <= done]
        if not ready:
            return placed + waiting, False
        placed += ready
        done |= set(ready)
        waiting = [key for key in waiting if key not in done]
    return placed, True

"""The learner's progress state that rules read: plain data, no database.

Rules are pure functions of this state, so awards depend only on the *set* of
progress facts — never on the order or number of times they arrived. Every
rule is also monotone (more facts never un-earn an award), which is why
evaluating after each event, in any order, ends with exactly the awards of
one evaluation over all the facts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from app.domain.authored_badge import AuthoredBadge


@dataclass(frozen=True)
class AssessmentInfo:
    key: str
    title: str
    max_score: float
    required: bool
    pass_ratio: float
    course_key: str
    unit_key: str | None = None
    module_key: str | None = None


@dataclass(frozen=True)
class ModuleInfo:
    key: str
    title: str
    unit_key: str


@dataclass(frozen=True)
class UnitInfo:
    key: str
    title: str
    course_key: str
    module_keys: tuple[str, ...]


@dataclass(frozen=True)
class CourseInfo:
    key: str
    title: str
    unit_keys: tuple[str, ...]


@dataclass
class CatalogView:
    """The catalog (or part of it) keyed by stable keys, with the lookups rules need."""

    courses: dict[str, CourseInfo] = field(default_factory=dict)
    units: dict[str, UnitInfo] = field(default_factory=dict)
    modules: dict[str, ModuleInfo] = field(default_factory=dict)
    assessments: dict[str, AssessmentInfo] = field(default_factory=dict)
    badges: dict[str, AuthoredBadge] = field(default_factory=dict)  # published ones

    @cached_property
    def _required(self) -> dict[tuple[str, str], list[AssessmentInfo]]:
        """Required assessments by ("unit", key) — unit or its modules — and ("course", key)."""
        index: dict[tuple[str, str], list[AssessmentInfo]] = defaultdict(list)
        for a in self.assessments.values():
            if not a.required:
                continue
            if a.module_key is not None and a.module_key in self.modules:
                index["unit", self.modules[a.module_key].unit_key].append(a)
            elif a.unit_key is not None:
                index["unit", a.unit_key].append(a)
            else:
                index["course", a.course_key].append(a)
        return dict(index)

    def required_for_unit(self, unit_key: str) -> list[AssessmentInfo]:
        return self._required.get(("unit", unit_key), [])

    def required_for_course(self, course_key: str) -> list[AssessmentInfo]:
        """Course-level required assessments only; unit ones count through the units."""
        return self._required.get(("course", course_key), [])

    def course_of_module(self, module_key: str) -> str | None:
        module = self.modules.get(module_key)
        return self.units[module.unit_key].course_key if module else None

    def course_of(self, entries: str, key: str) -> str | None:
        """The course of a module, unit, course or assessment (``entries`` names which)."""
        if entries == "modules":
            return self.course_of_module(key)
        if entries == "units":
            return self.units[key].course_key
        if entries == "courses":
            return key
        return self.assessments[key].course_key


@dataclass
class LearnerState:
    """What one learner has done. ``courses`` limits rules to the courses they touched."""

    user_id: int
    catalog: CatalogView
    completed_modules: set[str] = field(default_factory=set)
    best_scores: dict[str, float] = field(default_factory=dict)
    active_days: set[date] = field(default_factory=set)
    courses: frozenset[str] | None = None
    events: int = 0  # progress events read (reporting only; rules never look)
    held: frozenset[str] = frozenset()  # dedupe keys of awards held and not revoked
    revoked: frozenset[str] = frozenset()  # revoked awards: never earned or counted again

    def course_keys(self) -> list[str]:
        keys: Iterable[str] = self.catalog.courses if self.courses is None else self.courses
        return sorted(k for k in keys if k in self.catalog.courses)

    def unit_keys(self) -> Iterator[str]:
        for course in self.course_keys():
            yield from self.catalog.courses[course].unit_keys

    def best_ratio(self, assessment: AssessmentInfo) -> float | None:
        best = self.best_scores.get(assessment.key)
        return None if best is None else best / assessment.max_score

    def passed(self, assessment: AssessmentInfo) -> bool:
        ratio = self.best_ratio(assessment)
        return ratio is not None and ratio >= assessment.pass_ratio

    def unit_complete(self, unit_key: str) -> bool:
        """All modules complete and every required assessment of the unit or its modules passed.

        A unit with neither modules nor required assessments has nothing to
        complete and is never complete (no award for an empty shell).
        """
        unit = self.catalog.units[unit_key]
        required = self.catalog.required_for_unit(unit_key)
        return ((bool(unit.module_keys) or bool(required))
                and all(m in self.completed_modules for m in unit.module_keys)
                and all(self.passed(a) for a in required))

    def course_complete(self, course_key: str) -> bool:
        """All units complete and every required course-level assessment passed (never empty)."""
        course = self.catalog.courses[course_key]
        required = self.catalog.required_for_course(course_key)
        return ((bool(course.unit_keys) or bool(required))
                and all(self.unit_complete(u) for u in course.unit_keys)
                and all(self.passed(a) for a in required))

    @cached_property
    def _completed_courses(self) -> list[str]:
        return [key for key in self.course_keys() if self.course_complete(key)]

    def completed_courses(self) -> list[str]:
        return self._completed_courses

    def completed_module_count(self) -> int:
        """Completed modules that still exist in the catalog."""
        return len(self.completed_modules & self.catalog.modules.keys())

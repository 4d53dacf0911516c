"""The learner's progress state that rules read: plain data, no database.

Rules are pure functions of this state, so awards depend only on the *set* of
progress facts — never on the order or number of times they arrived.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


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
    """The part of the catalog a learner has touched, keyed by stable keys."""

    courses: dict[str, CourseInfo] = field(default_factory=dict)
    units: dict[str, UnitInfo] = field(default_factory=dict)
    modules: dict[str, ModuleInfo] = field(default_factory=dict)
    assessments: dict[str, AssessmentInfo] = field(default_factory=dict)

    def required_for_unit(self, unit_key: str) -> list[AssessmentInfo]:
        unit = self.units[unit_key]
        owners = {unit_key, *unit.module_keys}
        return [a for a in self.assessments.values()
                if a.required and a.course_key == unit.course_key
                and (a.unit_key in owners or a.module_key in owners)]

    def required_for_course(self, course_key: str) -> list[AssessmentInfo]:
        return [a for a in self.assessments.values()
                if a.required and a.course_key == course_key
                and a.unit_key is None and a.module_key is None]


@dataclass
class LearnerState:
    user_id: int
    catalog: CatalogView
    completed_modules: set[str] = field(default_factory=set)
    best_scores: dict[str, float] = field(default_factory=dict)
    active_days: set[date] = field(default_factory=set)

    def best_ratio(self, assessment: AssessmentInfo) -> float | None:
        best = self.best_scores.get(assessment.key)
        return None if best is None else best / assessment.max_score

    def passed(self, assessment: AssessmentInfo) -> bool:
        ratio = self.best_ratio(assessment)
        return ratio is not None and ratio >= assessment.pass_ratio

    def unit_complete(self, unit_key: str) -> bool:
        unit = self.catalog.units[unit_key]
        return (all(m in self.completed_modules for m in unit.module_keys)
                and all(self.passed(a) for a in self.catalog.required_for_unit(unit_key)))

    def course_complete(self, course_key: str) -> bool:
        course = self.catalog.courses[course_key]
        return (all(self.unit_complete(u) for u in course.unit_keys)
                and all(self.passed(a) for a in self.catalog.required_for_course(course_key)))

    def completed_courses(self) -> list[str]:
        return [key for key in self.catalog.courses if self.course_complete(key)]

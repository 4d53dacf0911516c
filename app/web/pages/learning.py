"""What the course player shows: the catalog with the learner's own progress on it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from app.extensions import db
from app.models import Assessment, AssessmentAttempt, Course, Module, ModuleCompletion, Unit


@dataclass(frozen=True)
class CourseProgress:
    course: Course
    done: set[int]
    best: dict[int, float]

    @property
    def modules(self) -> list[Module]:
        return [m for unit in self.course.units for m in unit.modules]

    @property
    def completed(self) -> int:
        return sum(1 for m in self.modules if m.id in self.done)

    @property
    def next_module(self) -> Module | None:
        return next((m for m in self.modules if m.id not in self.done), None)

    def assessments(self) -> list[Assessment]:
        """The course's assessments at every level, course-level last (the final quiz)."""
        unit_ids = [u.id for u in self.course.units]
        module_ids = [m.id for m in self.modules]
        query = select(Assessment).where(
            (Assessment.course_id == self.course.id) | Assessment.unit_id.in_(unit_ids)
            | Assessment.module_id.in_(module_ids))
        return sorted(db.session.scalars(query), key=lambda a: (a.course_id is not None, a.id))


def completed_module_ids(user_id: int) -> set[int]:
    query = select(ModuleCompletion.module_id).where(ModuleCompletion.user_id == user_id)
    return set(db.session.scalars(query))


def best_scores(user_id: int) -> dict[int, float]:
    query = (select(AssessmentAttempt.assessment_id, func.max(AssessmentAttempt.score))
             .where(AssessmentAttempt.user_id == user_id)
             .group_by(AssessmentAttempt.assessment_id))
    return {assessment_id: float(score) for assessment_id, score in db.session.execute(query)}


def courses_for(user_id: int) -> list[CourseProgress]:
    done, best = completed_module_ids(user_id), best_scores(user_id)
    courses = db.session.scalars(select(Course).order_by(Course.id)).all()
    return [CourseProgress(course, done, best) for course in courses]


def course_for(user_id: int, key: str) -> CourseProgress | None:
    course = db.session.scalar(select(Course).where(Course.key == key))
    if course is None:
        return None
    return CourseProgress(course, completed_module_ids(user_id), best_scores(user_id))


def module_by_key(key: str) -> Module | None:
    return db.session.scalar(select(Module).where(Module.key == key))


def assessment_by_key(key: str) -> Assessment | None:
    return db.session.scalar(select(Assessment).where(Assessment.key == key))


def course_of_module(module: Module) -> Course:
    unit: Unit = module.unit
    return unit.course

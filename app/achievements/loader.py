"""Load a learner's :class:`LearnerState` from the database in a few queries."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.achievements.state import (
    AssessmentInfo,
    CatalogView,
    CourseInfo,
    LearnerState,
    ModuleInfo,
    UnitInfo,
)
from app.extensions import db
from app.models import (
    Assessment,
    AssessmentAttempt,
    Course,
    Module,
    ModuleCompletion,
    ProgressEvent,
    Unit,
    User,
)


def load_state(user: User) -> LearnerState:
    completed = _completed_module_keys(user.id)
    best = _best_scores(user.id)
    catalog = load_catalog(_touched_course_ids(user.id))
    days = _active_days(user.id, ZoneInfo(user.timezone or "UTC"))
    return LearnerState(user.id, catalog, completed, best, days)


def _completed_module_keys(user_id: int) -> set[str]:
    query = (select(Module.key).join(ModuleCompletion, ModuleCompletion.module_id == Module.id)
             .where(ModuleCompletion.user_id == user_id))
    return set(db.session.scalars(query))


def _best_scores(user_id: int) -> dict[str, float]:
    query = (select(Assessment.key, func.max(AssessmentAttempt.score))
             .join(AssessmentAttempt, AssessmentAttempt.assessment_id == Assessment.id)
             .where(AssessmentAttempt.user_id == user_id).group_by(Assessment.key))
    return {key: float(score) for key, score in db.session.execute(query)}


def _active_days(user_id: int, zone: ZoneInfo) -> set:
    query = select(ProgressEvent.occurred_at).where(ProgressEvent.user_id == user_id)
    return {moment.astimezone(zone).date() for moment in db.session.scalars(query)}


def _touched_course_ids(user_id: int) -> set[int]:
    via_modules = (select(Unit.course_id).join(Module, Module.unit_id == Unit.id)
                   .join(ModuleCompletion, ModuleCompletion.module_id == Module.id)
                   .where(ModuleCompletion.user_id == user_id))
    attempted = (select(AssessmentAttempt.assessment_id)
                 .where(AssessmentAttempt.user_id == user_id).distinct())
    owners = db.session.execute(
        select(Assessment.course_id, Unit.course_id, Module.unit_id)
        .outerjoin(Unit, Unit.id == Assessment.unit_id)
        .outerjoin(Module, Module.id == Assessment.module_id)
        .where(Assessment.id.in_(attempted))
    ).all()
    module_unit_ids = {row[2] for row in owners if row[2] is not None}
    ids = set(db.session.scalars(via_modules))
    ids |= {row[0] or row[1] for row in owners if (row[0] or row[1])}
    if module_unit_ids:
        ids |= set(db.session.scalars(select(Unit.course_id).where(Unit.id.in_(module_unit_ids))))
    return ids


def load_catalog(course_ids: set[int]) -> CatalogView:
    """The catalog restricted to ``course_ids``, as plain data."""
    view = CatalogView()
    if not course_ids:
        return view
    courses = db.session.scalars(select(Course).where(Course.id.in_(course_ids))).all()
    units = db.session.scalars(select(Unit).where(Unit.course_id.in_(course_ids))
                               .order_by(Unit.position, Unit.id)).all()
    unit_ids = [u.id for u in units]
    modules = db.session.scalars(select(Module).where(Module.unit_id.in_(unit_ids))
                                 .order_by(Module.position, Module.id)).all() if unit_ids else []
    _fill_structure(view, courses, units, modules)
    _fill_assessments(view, course_ids, units, modules)
    return view


def _fill_structure(view: CatalogView, courses: list[Course], units: list[Unit],
                    modules: list[Module]) -> None:
    unit_key = {u.id: u.key for u in units}
    course_key = {c.id: c.key for c in courses}
    for module in modules:
        view.modules[module.key] = ModuleInfo(module.key, module.title, unit_key[module.unit_id])
    for unit in units:
        keys = tuple(m.key for m in modules if m.unit_id == unit.id)
        view.units[unit.key] = UnitInfo(unit.key, unit.title, course_key[unit.course_id], keys)
    for course in courses:
        keys = tuple(u.key for u in units if u.course_id == course.id)
        view.courses[course.key] = CourseInfo(course.key, course.title, keys)


def _fill_assessments(view: CatalogView, course_ids: set[int], units: list[Unit],
                      modules: list[Module]) -> None:
    unit_by_id = {u.id: u for u in units}
    module_by_id = {m.id: m for m in modules}
    query = select(Assessment, Course.key).outerjoin(Course, Course.id == Assessment.course_id)
    query = query.where(
        Assessment.course_id.in_(course_ids)
        | Assessment.unit_id.in_(list(unit_by_id))
        | Assessment.module_id.in_(list(module_by_id))
    )
    for assessment, direct_course in db.session.execute(query):
        module_unit = module_by_id[assessment.module_id].unit_id if assessment.module_id else None
        unit = unit_by_id.get(assessment.unit_id) or unit_by_id.get(module_unit)
        owning_course = direct_course or view.units[unit.key].course_key
        module = module_by_id.get(assessment.module_id)
        view.assessments[assessment.key] = AssessmentInfo(
            assessment.key, assessment.title, assessment.max_score, assessment.required,
            assessment.pass_ratio, owning_course,
            unit_key=unit.key if unit and assessment.unit_id else None,
            module_key=module.key if module else None,
        )

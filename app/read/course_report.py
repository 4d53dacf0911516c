"""An instructor's view of one course: its learners by achievements, holders, the funnel.

Every figure counts the course's enrolled learners only (``enrollments`` role
``learner``), so instructors of different courses see different numbers for the
same award. Recording progress in a course enrolls its learner there
(``app.infra.event_rows``), so the roster holds everyone who started. Queries are
per page of learners, never per learner.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select

from app.domain.badge_rules import courses_named
from app.domain.state import CatalogView
from app.extensions import db
from app.models import Achievement, Course, Enrollment, Module, ModuleCompletion, Unit, User

PAGE = 25


@dataclass(frozen=True)
class Column:
    """One achievement of the course: its dedupe key, title and kind."""

    key: str
    title: str
    kind: str


@dataclass(frozen=True)
class Cell:
    award_id: int
    revoked: bool
    earned_at: datetime | None = None
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class Row:
    user_id: int
    email: str
    modules_done: int
    cells: dict[str, Cell]
    name: str | None = None


def course_columns(view: CatalogView, course_key: str) -> list[Column]:
    """The course, its units, its assessments' high scores and the published badges
    whose criteria name this course only."""
    course = view.courses[course_key]
    columns = [Column(f"course_complete:{course_key}", course.title, "course_complete")]
    columns += [Column(f"unit_complete:{u}", view.units[u].title, "unit_complete")
                for u in course.unit_keys]
    columns += [Column(f"high_score:{a.key}", a.title, "high_score")
                for a in view.assessments.values() if a.course_key == course_key]
    columns += [Column(b.dedupe_key, b.title, "badge") for b in view.badges.values()
                if courses_named(b.criteria, view) == {course_key}]
    return columns


def _learners(course_key: str) -> Select[tuple[int]]:
    return (select(Enrollment.user_id).join(Course, Course.id == Enrollment.course_id)
            .where(Course.key == course_key, Enrollment.role == "learner"))


def enrolled_count(course_key: str) -> int:
    return db.session.scalar(select(func.count()).select_from(_learners(course_key)
                                                              .subquery())) or 0


def learner_page(course_key: str, columns: list[Column], after: int = 0,
                 limit: int = PAGE) -> tuple[list[Row], int | None]:
    """One page of learners by id, and the id to continue after (None on the last)."""
    query = (select(User.id, User.email, User.display_name)
             .where(User.id.in_(_learners(course_key)), User.id > after)
             .order_by(User.id).limit(limit + 1))
    people = db.session.execute(query).all()
    page = people[:limit]
    rows = rows_for(course_key, [(p.id, p.email, p.display_name) for p in page], columns)
    return rows, (page[-1].id if len(people) > limit else None)


def learner_pages(course_key: str, columns: list[Column], limit: int = 500
                  ) -> Iterator[list[Row]]:
    """Every learner, a page at a time (an export). The session lets its connection go
    before each page is handed on, so a slow reader of the pages holds no connection or
    transaction; each page is a snapshot of its own."""
    after: int | None = 0
    while after is not None:
        rows, after = learner_page(course_key, columns, after, limit)
        db.session.close()
        yield rows


def rows_for(course_key: str, people: list[tuple[int, str, str | None]],
             columns: list[Column]) -> list[Row]:
    ids = [user_id for user_id, _, _ in people]
    cells: dict[int, dict[str, Cell]] = {user_id: {} for user_id in ids}
    for award in _awards(ids, [c.key for c in columns]):
        cells[award.user_id][award.dedupe_key] = Cell(
            award.id, award.revoked_at is not None, award.earned_at, award.revoked_at)
    done = _modules_done(course_key, ids)
    return [Row(user_id, email, done.get(user_id, 0), cells[user_id], name)
            for user_id, email, name in people]


def module_count(view: CatalogView, course_key: str) -> int:
    """How many modules the course has (the most a learner can complete)."""
    return sum(len(view.units[u].module_keys) for u in view.courses[course_key].unit_keys)


def _awards(user_ids: list[int], keys: list[str]) -> Iterable[Any]:
    """The cells' columns only: an export reads thousands, and whole rows carry metadata."""
    if not user_ids or not keys:
        return []
    award = Achievement
    return db.session.execute(
        select(award.id, award.user_id, award.dedupe_key, award.earned_at, award.revoked_at)
        .where(award.user_id.in_(user_ids), award.dedupe_key.in_(keys)))


def _modules_done(course_key: str, user_ids: list[int] | None) -> dict[int, int]:
    query = (select(ModuleCompletion.user_id, func.count(func.distinct(Module.id)))
             .join(Module, Module.id == ModuleCompletion.module_id)
             .join(Unit, Unit.id == Module.unit_id).join(Course, Course.id == Unit.course_id)
             .where(Course.key == course_key).group_by(ModuleCompletion.user_id))
    if user_ids is not None:
        query = query.where(ModuleCompletion.user_id.in_(user_ids))
    else:
        query = query.where(ModuleCompletion.user_id.in_(_learners(course_key)))
    return {key: n for key, n in db.session.execute(query).all()}


def holders(course_key: str, keys: list[str]) -> dict[str, int]:
    """How many of the course's learners hold each award now (revoked ones excluded)."""
    if not keys:
        return {}
    query = (select(Achievement.dedupe_key, func.count()).where(
        Achievement.user_id.in_(_learners(course_key)), Achievement.dedupe_key.in_(keys),
        Achievement.revoked_at.is_(None)).group_by(Achievement.dedupe_key))
    return {key: n for key, n in db.session.execute(query).all()}


def holder_page(course_key: str, dedupe_key: str, after: int = 0, limit: int = PAGE
                ) -> tuple[list[tuple[Achievement, str]], int | None]:
    """The course's learners who hold one award (revoked ones too, marked), by award id."""
    query = (select(Achievement, User.email).join(User, User.id == Achievement.user_id)
             .where(Achievement.user_id.in_(_learners(course_key)),
                    Achievement.dedupe_key == dedupe_key, Achievement.id > after)
             .order_by(Achievement.id).limit(limit + 1))
    found = [(award, email) for award, email in db.session.execute(query).all()]
    return found[:limit], (found[limit - 1][0].id if len(found) > limit else None)


@dataclass(frozen=True)
class FunnelStep:
    label: str
    count: int
    share: float  # of the enrolled learners, 0..1


def funnel(view: CatalogView, course_key: str) -> list[FunnelStep]:
    """Enrolled → started (a module done) → a unit complete → the course complete."""
    enrolled = enrolled_count(course_key)
    started = len(_modules_done(course_key, None))
    unit_keys = [f"unit_complete:{u}" for u in view.courses[course_key].unit_keys]
    with_unit = _learners_holding(course_key, unit_keys)
    finished = _learners_holding(course_key, [f"course_complete:{course_key}"])
    counts = [("Enrolled", enrolled), ("Completed a module", started),
              ("Completed a unit", with_unit), ("Completed the course", finished)]
    return [FunnelStep(label, n, n / enrolled if enrolled else 0.0) for label, n in counts]


def _learners_holding(course_key: str, keys: list[str]) -> int:
    """Learners with any of these awards, revoked or not: the funnel counts progress made."""
    if not keys:
        return 0
    query = (select(func.count(func.distinct(Achievement.user_id))).where(
        Achievement.user_id.in_(_learners(course_key)), Achievement.dedupe_key.in_(keys)))
    return db.session.scalar(query) or 0


def learner_awards(user_id: int, keys: Iterable[str]) -> list[Achievement]:
    """A learner's awards among ``keys``, newest first, revoked ones included."""
    wanted = list(keys)
    query = (select(Achievement).where(Achievement.user_id == user_id,
                                       Achievement.dedupe_key.in_(wanted))
             .order_by(Achievement.id.desc()))
    return list(db.session.scalars(query)) if wanted else []


def course_award_keys(view: CatalogView, course_key: str) -> set[str]:
    """Every award about this course: its columns, its modules and perfect scores."""
    keys = {c.key for c in course_columns(view, course_key)}
    for unit in view.courses[course_key].unit_keys:
        keys |= {f"module_complete:{m}" for m in view.units[unit].module_keys}
    keys |= {f"perfect_score:{a.key}" for a in view.assessments.values()
             if a.course_key == course_key}
    return keys

"""What an instructor may do in the console: read the courses they teach, and revoke or
restore their learners' awards about those courses. Admins may do it for every course;
learners for none. The console asks here; nothing in the transport decides.
"""

from __future__ import annotations

from sqlalchemy import select

from app.domain.state import CourseInfo
from app.errors import Forbidden, InvalidInput, NotFound
from app.extensions import db
from app.infra.caches.catalog import catalog
from app.models import Achievement, Course, Enrollment
from app.read.course_report import course_award_keys
from app.services.accounts.courses import courses_taught
from app.services.accounts.principal import Principal
from app.services.audit import actor_name
from app.services.awarding.revocation import (
    restore_award,
    restore_awards,
    revoke_award,
    revoke_awards,
)

STAFF = ("admin", "instructor")


def require_staff(principal: Principal) -> None:
    if principal.kind not in STAFF:
        raise Forbidden("the console is for instructors and admins")


def visible_courses(principal: Principal) -> list[CourseInfo]:
    """Every course for an admin; the courses they teach for an instructor."""
    require_staff(principal)
    courses = catalog().view.courses
    keys = set(courses) if principal.kind == "admin" else courses_taught(principal.id)
    return sorted((courses[k] for k in keys if k in courses), key=lambda c: c.title)


def course_for(principal: Principal, course_key: str) -> CourseInfo:
    """The course, if this principal may see it (others' courses are not found)."""
    require_staff(principal)
    course = catalog().view.courses.get(course_key)
    if course is None or (principal.kind != "admin"
                          and course_key not in courses_taught(principal.id)):
        raise NotFound(f"no course {course_key!r}")
    return course


def learner_of(principal: Principal, course_key: str, user_id: int) -> None:
    """Raise NotFound unless the user is a learner of a course this principal may see."""
    course_for(principal, course_key)
    query = (select(Enrollment.id).join(Course, Course.id == Enrollment.course_id)
             .where(Course.key == course_key, Enrollment.user_id == user_id,
                    Enrollment.role == "learner"))
    if db.session.scalar(query) is None:
        raise NotFound(f"no learner {user_id} in {course_key!r}")


def revoke_in_course(principal: Principal, course_key: str, award_id: int,
                     reason: str) -> Achievement:
    _award_in_course(principal, course_key, award_id)
    return revoke_award(award_id, reason, actor_name(principal))


def restore_in_course(principal: Principal, course_key: str, award_id: int,
                      reason: str | None) -> Achievement:
    _award_in_course(principal, course_key, award_id)
    return restore_award(award_id, actor_name(principal), reason)


def change_in_course(principal: Principal, course_key: str, award_ids: list[int],
                     reason: str, *, revoke: bool) -> list[Achievement]:
    """Revoke (reason required) or restore several awards of the course's learners with one
    reason, all or none (the console's bulk actions)."""
    if not award_ids:
        raise InvalidInput("choose at least one award", fields={"award": ["required"]})
    for award_id in award_ids:
        _award_in_course(principal, course_key, award_id)
    actor = actor_name(principal)
    return revoke_awards(award_ids, reason, actor) if revoke \
        else restore_awards(award_ids, actor, reason)


def _award_in_course(principal: Principal, course_key: str, award_id: int) -> None:
    """The award must be about this course and belong to one of its learners."""
    course_for(principal, course_key)
    award = db.session.get(Achievement, award_id)
    if award is None or award.dedupe_key not in course_award_keys(catalog().view, course_key):
        raise NotFound(f"no achievement {award_id} in {course_key!r}")
    learner_of(principal, course_key, award.user_id)

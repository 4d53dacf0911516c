"""Course membership as the LMS reports it, and the one question authorization asks of it."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import aliased

from app.errors import InvalidInput, NotFound
from app.extensions import db
from app.infra.inserts import insert_ignore
from app.models import Course, Enrollment, User
from app.models.enrollment import COURSE_ROLES


def enroll(user_id: int, course_key: str, role: str = "learner") -> bool:
    """Add ``user_id`` to the course as learner or instructor; rerunning changes nothing."""
    if role not in COURSE_ROLES:
        raise InvalidInput(f"role must be one of {', '.join(COURSE_ROLES)}",
                           fields={"role": ["invalid"]})
    course_id = db.session.scalar(select(Course.id).where(Course.key == course_key))
    if course_id is None:
        raise NotFound(f"no course {course_key!r}", fields={"course": ["unknown course"]})
    if db.session.get(User, user_id) is None:
        raise NotFound(f"no user {user_id}", fields={"user_id": ["unknown user"]})
    created = insert_ignore(Enrollment, ["user_id", "course_id"],
                            {"user_id": user_id, "course_id": course_id, "role": role})
    db.session.commit()
    return created


def set_course_role(user_id: int, course_id: int, role: str) -> None:
    """Put the user on the course's roster in ``role``, active: what an LMS (an LTI launch
    or a roster sync) reports, so it replaces the role held before."""
    if role not in COURSE_ROLES:
        raise InvalidInput(f"role must be one of {', '.join(COURSE_ROLES)}",
                           fields={"role": ["invalid"]})
    values = {"user_id": user_id, "course_id": course_id, "role": role}
    if not insert_ignore(Enrollment, ["user_id", "course_id"], values):
        db.session.execute(update(Enrollment).where(
            Enrollment.user_id == user_id, Enrollment.course_id == course_id)
            .values(role=role, active=True))
    db.session.commit()


def teaches(instructor_id: int, learner_id: int) -> bool:
    """True when the learner is enrolled in a course the instructor teaches (both active:
    someone an LMS roster no longer lists grants and is granted nothing)."""
    staff, pupil = aliased(Enrollment), aliased(Enrollment)
    query = (select(staff.id).join(pupil, pupil.course_id == staff.course_id)
             .where(staff.user_id == instructor_id, staff.role == "instructor",
                    staff.active.is_(True), pupil.user_id == learner_id,
                    pupil.role == "learner", pupil.active.is_(True)).limit(1))
    return db.session.scalar(query) is not None


def courses_taught(instructor_id: int) -> set[str]:
    """Keys of the courses the user is enrolled in as an instructor (active)."""
    query = (select(Course.key).join(Enrollment, Enrollment.course_id == Course.id)
             .where(Enrollment.user_id == instructor_id, Enrollment.role == "instructor",
                    Enrollment.active.is_(True)))
    return set(db.session.scalars(query))

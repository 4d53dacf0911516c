"""LMS contexts (an LMS course) and the course of ours each maps to.

A context is mapped by a ``course_key`` custom parameter on the link or by an
instructor's choice on the launch page; the mapping is stored, so later launches
(and the roster sync) need neither. Who may map what is the one security question
here: mapping makes the LMS's instructors instructors of our course, with its
learners' achievements in view. So an LMS instructor may claim a course no other
LMS context holds yet, or one they already teach here; anything else is an
administrator's decision (``lti`` CLI). A ``course_key`` parameter is only a choice
made in the LMS, so it follows the same rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, exists, or_, select

from app.errors import Forbidden, NotFound
from app.extensions import db
from app.models import Course, Enrollment, LtiContext, LtiPlatform, User
from app.services.accounts.courses import set_course_role
from app.services.lti import claims as c
from app.services.lti import names_roles
from app.services.lti.people import may_teach


def save_context(platform: LtiPlatform, claims: Mapping[str, Any]) -> LtiContext | None:
    """The launch's context row, made or refreshed (title, NRPS and AGS URLs); None for
    a launch without a context (e.g. from a platform's home page)."""
    found = claims.get(c.CONTEXT)
    context_id = c.text(found.get("id")) if isinstance(found, Mapping) else None
    if found is None or context_id is None:
        return None
    row = db.session.scalar(select(LtiContext).where(LtiContext.platform_id == platform.id,
                                                     LtiContext.context_id == context_id))
    if row is None:
        row = LtiContext(platform_id=platform.id, context_id=context_id)
        db.session.add(row)
    row.title = c.text(found.get("title"), 300) or c.text(found.get("label"), 300) or row.title
    _service_urls(row, claims)
    db.session.commit()
    return row


def course_of(context: LtiContext, custom: Mapping[str, str], user_id: int) -> Course | None:
    """The course the context maps to: its stored mapping, else the link's ``course_key``
    when this user may claim it (then stored); None while unmapped."""
    if context.course_id is not None:
        return db.session.get(Course, context.course_id)
    key = custom.get("course_key", "").strip()
    course = db.session.scalar(select(Course).where(Course.key == key)) if key else None
    if course is None or not may_claim(course.id, context.id, user_id):
        return None
    context.course_id = course.id
    db.session.commit()
    return course


def map_context(context_id: int, course_key: str, user_id: int) -> Course:
    """An LMS instructor's choice of course for their context (the choose-course page)."""
    context = db.session.get(LtiContext, context_id)
    course = db.session.scalar(select(Course).where(Course.key == course_key))
    if context is None or course is None:
        raise NotFound("no such context or course", fields={"course": ["unknown course"]})
    if not may_claim(course.id, context.id, user_id):
        raise Forbidden("another LMS course already uses this course",
                        fields={"course": ["taken"]})
    context.course_id = course.id
    db.session.commit()
    return course


def connect(context_id: int, course_key: str, user: User) -> Course:
    """An instructor connects their LMS course (the choose-course page, or a deep linking
    request in an unconnected course): mapped if they may claim the course, they become
    its instructor, and its roster is asked for."""
    course = map_context(context_id, course_key, user.id)
    set_course_role(user.id, course.id, "instructor")
    may_teach(user)
    names_roles.request_sync(context_id)
    return course


def claimable_courses(context_id: int, user_id: int) -> list[Course]:
    """The courses the choose-course page offers this instructor, by title (one query:
    :func:`may_claim` for every course)."""
    taken = select(LtiContext.course_id).where(LtiContext.course_id.is_not(None),
                                               LtiContext.id != context_id)
    query = select(Course).where(or_(Course.id.not_in(taken), Course.id.in_(
        _taught(user_id)))).order_by(Course.title, Course.key)
    return list(db.session.scalars(query))


def may_claim(course_id: int, context_id: int, user_id: int) -> bool:
    """True when no other context holds the course, or the user already teaches it here."""
    taken = db.session.scalar(select(exists().where(
        LtiContext.course_id == course_id, LtiContext.id != context_id)))
    if not taken:
        return True
    teaches = _taught(user_id).where(Enrollment.course_id == course_id).exists()
    return bool(db.session.scalar(select(teaches)))


def _taught(user_id: int) -> Select[tuple[int]]:
    return select(Enrollment.course_id).where(
        Enrollment.user_id == user_id, Enrollment.role == "instructor",
        Enrollment.active.is_(True))


def _service_urls(row: LtiContext, claims: Mapping[str, Any]) -> None:
    """Keep the LTI Advantage endpoints the latest launch announced (the roster and
    grade services read them from here)."""
    names_roles, grades = claims.get(c.NAMES_ROLES), claims.get(c.GRADES)
    if isinstance(names_roles, Mapping):
        row.context_memberships_url = c.text(
            names_roles.get("context_memberships_url"), 2000) or row.context_memberships_url
    if isinstance(grades, Mapping):
        row.lineitems_url = c.text(grades.get("lineitems"), 2000) or row.lineitems_url
        row.lineitem_url = c.text(grades.get("lineitem"), 2000) or row.lineitem_url

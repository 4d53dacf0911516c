"""A course with thousands of learners in a few statements (no password hashing, no
detection): users, their enrollments, a unit award for every other one (every seventh of
those revoked) and a module completion for every third."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, insert, select

from app.extensions import db
from app.models import Achievement, Course, Enrollment, Module, ModuleCompletion, Unit, User

EARNED_AT = datetime(2024, 5, 1, 12, tzinfo=UTC)
REVOKED_AT = datetime(2024, 6, 2, 12, tzinfo=UTC)


@dataclass(frozen=True)
class BigCourse:
    learners: int
    earned: int
    revoked: int


def add_learners(course_key: str, count: int) -> BigCourse:
    """``count`` learners on the course's roster (the catalog must hold the course, with a
    unit ``<course>-u1`` and a module ``<course>-u1-m1``), committed."""
    tag = uuid.uuid4().hex[:8]
    first = (db.session.scalar(select(func.max(User.id))) or 0) + 1
    db.session.execute(insert(User), [
        {"id": first + n, "email": f"big-{tag}-{n}@example.com", "password_hash": "!",
         "role": "learner", "timezone": "UTC", "display_name": f"Learner {n}" if n % 2 else None}
        for n in range(count)])
    ids = list(range(first, first + count))
    course_id = db.session.scalar(select(Course.id).where(Course.key == course_key))
    db.session.execute(insert(Enrollment), [
        {"user_id": user_id, "course_id": course_id, "role": "learner"} for user_id in ids])
    awarded = ids[::2]
    db.session.execute(insert(Achievement), [_unit_award(course_key, user_id, n % 7 == 0)
                                             for n, user_id in enumerate(awarded)])
    module_id = db.session.scalar(select(Module.id).join(Unit).where(
        Module.key == f"{course_key}-u1-m1"))
    db.session.execute(insert(ModuleCompletion), [
        {"user_id": user_id, "module_id": module_id, "completed_at": EARNED_AT}
        for user_id in ids[::3]])
    db.session.commit()
    revoked = len(awarded[::7])
    return BigCourse(count, len(awarded) - revoked, revoked)


def _unit_award(course_key: str, user_id: int, revoked: bool) -> dict[str, object]:
    return {"user_id": user_id, "achievement_type": "unit_complete",
            "dedupe_key": f"unit_complete:{course_key}-u1", "title": "Unit 1",
            "description": "", "earned_at": EARNED_AT, "meta": {}, "silent": True,
            "revoked_at": REVOKED_AT if revoked else None,
            "revoked_reason": "=a reason a spreadsheet must not run" if revoked else None}

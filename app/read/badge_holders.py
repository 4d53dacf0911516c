"""Who holds an author-defined badge, for its authors: every holder for an admin, the
learners of the badge's courses for an instructor (``reach``), revoked ones marked.
Paged by award id, one query per page."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select

from app.extensions import db
from app.models import Achievement, Course, Enrollment, User

PAGE = 50


@dataclass(frozen=True)
class Person:
    """A learner as the console names them: their display name, else their email."""

    user_id: int
    email: str
    name: str | None

    @property
    def who(self) -> str:
        return self.name or self.email


@dataclass(frozen=True)
class Holder:
    award: Achievement
    person: Person


def _holders(dedupe_key: str, reach: set[str] | None
             ) -> Select[tuple[Achievement, int, str, str]]:
    query = (select(Achievement, User.id, User.email, User.display_name)
             .join(User, User.id == Achievement.user_id)
             .where(Achievement.dedupe_key == dedupe_key))
    if reach is not None:
        query = query.where(Achievement.user_id.in_(roster(reach)))
    return query


def roster(courses: set[str]) -> Select[tuple[int]]:
    """The learners of these courses."""
    return (select(Enrollment.user_id).join(Course, Course.id == Enrollment.course_id)
            .where(Course.key.in_(sorted(courses)), Enrollment.role == "learner"))


def holder_page(dedupe_key: str, reach: set[str] | None, after: int = 0, limit: int = PAGE
                ) -> tuple[list[Holder], int | None]:
    """One page of holders by award id, and the id to continue after (None on the last)."""
    query = (_holders(dedupe_key, reach).where(Achievement.id > after)
             .order_by(Achievement.id).limit(limit + 1))
    found = [Holder(award, Person(*person)) for award, *person in db.session.execute(query)]
    return found[:limit], (found[limit - 1].award.id if len(found) > limit else None)


def holder_counts(dedupe_key: str, reach: set[str] | None) -> tuple[int, int]:
    """(holding now, revoked) among the holders this reader may see."""
    base = _holders(dedupe_key, reach).subquery()
    query = select(func.count(), func.count(base.c.revoked_at))
    held_or_revoked, revoked = db.session.execute(query.select_from(base)).one()
    return held_or_revoked - revoked, revoked


def awards_among(dedupe_key: str, reach: set[str] | None, award_ids: list[int]) -> list[int]:
    """Which of ``award_ids`` are this badge's awards this reader may see."""
    query = _holders(dedupe_key, reach).where(Achievement.id.in_(award_ids))
    return [row[0].id for row in db.session.execute(query).all()]

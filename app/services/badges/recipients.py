"""Who a badge given by hand goes to: a list of ``{"user_id"}`` / ``{"email"}`` items (the
API), or the lines of an uploaded file (the console), resolved to learners in one pass.

Resolving only reads. Every item that names nobody is reported with its place
(``learners[3]``, or a file's line number) so the caller can refuse the whole list
before anything is stored. An instructor's recipients are the learners on the rosters
of the courses the badge is about: anyone else is "unknown" to them, exactly like a
user who does not exist, so the answer reveals no one outside their courses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select

from app.extensions import db
from app.models import User
from app.models.user import LEARNER_ROLE
from app.read.badge_holders import Person, roster

MAX_RECIPIENTS = 10_000
CHUNK = 900  # ids or emails per IN (): under SQLite's bound-parameter limit
MAX_EMAIL = 254


@dataclass
class Resolved:
    """The learners found, in first-seen order without repeats, and the places that
    named nobody (``{place: why}``)."""

    found: list[Person] = field(default_factory=list)
    unknown: dict[str, str] = field(default_factory=dict)


def resolve_items(items: Any, courses: set[str] | None) -> Resolved:
    """``[{"user_id": N} | {"email": "..."}]`` → learners; places are ``learners[i]``."""
    if not isinstance(items, list) or not items:
        return Resolved(unknown={"learners": "name at least one learner"})
    if len(items) > MAX_RECIPIENTS:
        return Resolved(unknown={"learners": f"at most {MAX_RECIPIENTS} learners at once"})
    named = [(f"learners[{index}]", _reference(item)) for index, item in enumerate(items)]
    return _resolve(named, courses)


def resolve_lines(lines: Sequence[str], courses: set[str] | None) -> Resolved:
    """One email (or user id) per line, as a spreadsheet exports it: a header line, blank
    lines and extra columns are ignored; places are ``line N`` (1-based)."""
    named: list[tuple[str, int | str | None]] = []
    for number, line in enumerate(lines, start=1):
        cell = line.split(",")[0].strip().strip('"').strip()
        if not cell or (number == 1 and "@" not in cell and not cell.isdigit()):
            continue
        named.append((f"line {number}", int(cell) if cell.isdigit() else cell))
    if len(named) > MAX_RECIPIENTS:
        return Resolved(unknown={"file": f"at most {MAX_RECIPIENTS} learners at once"})
    return _resolve(named, courses)


def search_learners(text: str, courses: set[str] | None, limit: int = 20) -> list[Person]:
    """Learners (role learner) whose email or name contains ``text`` (the console's search
    box; a typed or uploaded list may still name anyone the awarder may reach)."""
    text = text.strip()
    if not text:
        return []
    pattern = f"%{text.lower()}%"
    query = (select(User.id, User.email, User.display_name)
             .where(User.role == LEARNER_ROLE,
                    or_(User.email.like(pattern), func.lower(User.display_name).like(pattern)))
             .order_by(User.email).limit(limit))
    if courses is not None:
        query = query.where(User.id.in_(roster(courses)))
    return [Person(*row) for row in db.session.execute(query)]


def _reference(item: Any) -> int | str | None:
    """The user id or email an API item names, or None when it names neither properly."""
    if not isinstance(item, dict) or len(item) != 1:
        return None
    value = item.get("user_id", item.get("email"))
    if "user_id" in item:
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    return value if isinstance(value, str) else None


def _resolve(named: list[tuple[str, int | str | None]], courses: set[str] | None) -> Resolved:
    ids = {ref for _, ref in named if isinstance(ref, int)}
    emails = {ref.strip().lower() for _, ref in named if isinstance(ref, str)}
    by_id, by_email = _users(ids, emails, courses)
    result, seen = Resolved(), set()
    for place, ref in named:
        person = by_id.get(ref) if isinstance(ref, int) else \
            by_email.get(ref.strip().lower()) if isinstance(ref, str) else None
        if person is None:
            result.unknown[place] = _why(ref)
        elif person.user_id not in seen:
            seen.add(person.user_id)
            result.found.append(person)
    return result


def _why(ref: int | str | None) -> str:
    if ref is None:
        return "give a user_id (a number) or an email"
    return "no such learner" if isinstance(ref, int) else "no learner with this email"


def _users(ids: set[int], emails: set[str], courses: set[str] | None
           ) -> tuple[dict[int, Person], dict[str, Person]]:
    found: list[Person] = []
    valid_ids = [i for i in ids if 0 < i < 2**31]
    valid_emails = [e for e in emails if 0 < len(e) <= MAX_EMAIL and "\x00" not in e]
    for column, values in ((User.id, valid_ids), (User.email, valid_emails)):
        for chunk in _chunks(values):
            query = select(User.id, User.email, User.display_name).where(column.in_(chunk))
            if courses is not None:
                query = query.where(User.id.in_(roster(courses)))
            found += [Person(*row) for row in db.session.execute(query)]
    return {r.user_id: r for r in found}, {r.email: r for r in found}


def _chunks(values: Iterable[Any]) -> Iterable[list[Any]]:
    items = list(values)
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]

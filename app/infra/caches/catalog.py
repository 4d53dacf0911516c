"""The whole catalog as plain data (with the published badges), cached per process and
keyed by the catalog revision.

Why it is correct: every ORM flush that adds, changes or deletes a course,
unit, module, assessment, badge or badge version also writes a fresh random token into the one
``catalog_revision`` row, in the same transaction. Detection reads that token
(one tiny query) before it reads anything else; if the cached catalog carries
another token it is reloaded. A catalog committed between the token read and
the reload is newer than the token says, which only costs one more reload
later. Writes that bypass the ORM (raw SQL) must call :func:`bump_revision`.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from app.domain.authored_badge import AuthoredBadge
from app.domain.state import AssessmentInfo, CatalogView, CourseInfo, ModuleInfo, UnitInfo
from app.extensions import db
from app.infra.inserts import insert_ignore_stmt
from app.models import Assessment, Badge, BadgeVersion, CatalogRevision, Course, Module, Unit
from app.models.types import utcnow

CATALOG_MODELS = (Course, Unit, Module, Assessment, Badge, BadgeVersion)


@dataclass
class IndexedCatalog:
    """The catalog view plus id → key maps for reading progress rows without joins."""

    view: CatalogView
    module_keys: dict[int, str] = field(default_factory=dict)
    assessment_keys: dict[int, str] = field(default_factory=dict)


_lock = threading.Lock()
_cached: dict[str, tuple[str, IndexedCatalog]] = {}


def catalog(session: Session | None = None) -> IndexedCatalog:
    """The current catalog; loaded from the database only when its revision changed."""
    session = session or db.session
    bind_key = str(session.get_bind().url)
    revision = current_revision(session)
    hit = _cached.get(bind_key)
    if hit is not None and revision is not None and hit[0] == revision:
        return hit[1]
    loaded = load_catalog(session)
    if revision is not None:
        with _lock:
            _cached[bind_key] = (revision, loaded)
    return loaded


def catalog_for_revision(revision: str | None, session: Session | None = None) -> IndexedCatalog:
    """The catalog when the caller already read its revision (saves :func:`catalog`'s query)."""
    session = session or db.session
    hit = _cached.get(str(session.get_bind().url))
    if hit is not None and revision is not None and hit[0] == revision:
        return hit[1]
    return catalog(session)


_REVISION = select(CatalogRevision.revision).where(CatalogRevision.id == 1)  # read per detection


def current_revision(session: Session) -> str | None:
    return session.scalar(_REVISION)


def bump_revision(session: Session) -> None:
    """Give the catalog a new revision inside the caller's transaction."""
    values = {"revision": uuid.uuid4().hex, "changed_at": utcnow()}
    table = CatalogRevision.__table__
    connection = session.connection()
    if not connection.execute(update(table).where(table.c.id == 1).values(values)).rowcount:
        connection.execute(insert_ignore_stmt(table, ["id"]).values(id=1, **values))


@event.listens_for(Session, "before_flush")
def _bump_on_catalog_change(session: Session, _context: Any, _instances: Any) -> None:
    changed = (obj for group in (session.new, session.deleted, session.dirty) for obj in group
               if isinstance(obj, CATALOG_MODELS))
    if any(session.is_modified(obj) or obj not in session.dirty for obj in changed):
        bump_revision(session)


def load_catalog(session: Session) -> IndexedCatalog:
    """Five queries, whatever the catalog's size."""
    courses = session.execute(select(Course.id, Course.key, Course.title)).all()
    units = session.execute(select(Unit.id, Unit.key, Unit.title, Unit.course_id)
                            .order_by(Unit.position, Unit.id)).all()
    modules = session.execute(select(Module.id, Module.key, Module.title, Module.unit_id)
                              .order_by(Module.position, Module.id)).all()
    course_key = {c.id: c.key for c in courses}
    unit_key = {u.id: u.key for u in units}
    indexed = IndexedCatalog(CatalogView(), {m.id: m.key for m in modules})
    view = indexed.view
    _fill_structure(view, courses, units, modules, course_key, unit_key)
    _fill_assessments(indexed, session, course_key, unit_key)
    view.badges = published_badges(session)
    return indexed


_PUBLISHED = (select(Badge.key, BadgeVersion)
              .join(BadgeVersion, (BadgeVersion.badge_id == Badge.id)
                    & (BadgeVersion.version == Badge.published_version))
              .where(Badge.status == "published").order_by(Badge.key))


def published_badges(session: Session) -> dict[str, AuthoredBadge]:
    """The published version of every published badge, as detection evaluates it."""
    return {key: definition_of(key, version) for key, version in session.execute(_PUBLISHED)}


def definition_of(key: str, version: BadgeVersion) -> AuthoredBadge:
    return AuthoredBadge(key, version.title, version.description, version.criteria,
                           version.version, version.hidden, version.expires_after_days,
                           version.image or {})


def _fill_structure(view: CatalogView, courses: Any, units: Any, modules: Any,
                    course_key: dict[int, str], unit_key: dict[int, str]) -> None:
    modules_of: dict[int, list[str]] = {u.id: [] for u in units}
    units_of: dict[int, list[str]] = {c.id: [] for c in courses}
    for m in modules:
        view.modules[m.key] = ModuleInfo(m.key, m.title, unit_key[m.unit_id])
        modules_of[m.unit_id].append(m.key)
    for u in units:
        view.units[u.key] = UnitInfo(u.key, u.title, course_key[u.course_id],
                                     tuple(modules_of[u.id]))
        units_of[u.course_id].append(u.key)
    for c in courses:
        view.courses[c.key] = CourseInfo(c.key, c.title, tuple(units_of[c.id]))


def _fill_assessments(indexed: IndexedCatalog, session: Session, course_key: dict[int, str],
                      unit_key: dict[int, str]) -> None:
    view = indexed.view
    for a in session.scalars(select(Assessment)):
        module_key = indexed.module_keys.get(a.module_id) if a.module_id else None
        owner_unit = unit_key.get(a.unit_id) if a.unit_id else None
        if module_key is not None:
            course = view.course_of_module(module_key)
        elif owner_unit is not None:
            course = view.units[owner_unit].course_key
        else:
            course = course_key[a.course_id]
        view.assessments[a.key] = AssessmentInfo(
            a.key, a.title, a.max_score, a.required, a.pass_ratio, course or "",
            unit_key=owner_unit, module_key=module_key)
        indexed.assessment_keys[a.id] = a.key


def clear_cache() -> None:
    with _lock:
        _cached.clear()

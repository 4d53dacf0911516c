"""Badge definitions through their lifecycle: draft → published → archived.

A definition is validated in full before anything is written (bad input stores
nothing). Editing adds a version; a draft or an edit awards nothing until it is
published, and publishing backfills every learner: silently, or live when asked.
Who may author: an admin, a ``badges:write`` token, or an instructor for a badge
whose criteria name only courses they teach (others' badges are not found for them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.domain.authored_badge import AuthoredBadge
from app.domain.badge_rules import KEY, courses_named, parse_definition
from app.domain.criteria import Context
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.extensions import db
from app.infra.caches.catalog import catalog, definition_of, published_badges
from app.models import Badge, BadgeVersion
from app.models.types import utcnow
from app.services.accounts.courses import courses_taught
from app.services.accounts.principal import Principal
from app.services.audit import actor_name, record
from app.services.awarding.backfill import backfill

BADGES_WRITE = "badges:write"
_ALL = select(Badge).options(selectinload(Badge.versions)).order_by(Badge.key)


def list_badges(principal: Principal) -> list[Badge]:
    """The badges this author may see, by key."""
    require_author(principal)
    return [badge for badge in db.session.scalars(_ALL) if _may_edit(principal, badge)]


def get_badge(principal: Principal, key: str) -> Badge:
    require_author(principal)
    # A key no badge can have (NUL, too long) is not queried: PostgreSQL refuses NUL in text.
    badge = db.session.scalar(select(Badge).where(Badge.key == key)) if KEY.fullmatch(key) \
        else None
    if badge is None or not _may_edit(principal, badge):
        raise NotFound(f"no badge {key!r}")
    return badge


def create_badge(principal: Principal, body: Any) -> Badge:
    """A new draft badge (version 1) from a definition."""
    require_author(principal)
    definition = _parse(body, version=1)
    _check_courses(principal, definition)
    if db.session.scalar(select(Badge.id).where(Badge.key == definition.key)) is not None:
        raise Conflict(f"badge {definition.key!r} exists; PUT a new version",
                       fields={"key": ["already exists"]})
    badge = Badge(key=definition.key, status="draft", created_by=principal.name)
    db.session.add(badge)
    _add_version(badge, definition, principal)
    record(actor_name(principal), "badge.create", "badge", badge.key, version=1)
    db.session.commit()
    return badge


def update_badge(principal: Principal, key: str, body: Any) -> Badge:
    """A new version of the badge; detection keeps the published one until publish."""
    badge = get_badge(principal, key)
    if badge.status == "archived":
        raise Conflict(f"badge {key!r} is archived")
    if isinstance(body, dict) and body.get("key", key) != key:
        raise InvalidInput("the key of a badge cannot change", fields={"key": ["must be " + key]})
    definition = _parse({**body, "key": key} if isinstance(body, dict) else body,
                        version=badge.latest.version + 1)
    _check_courses(principal, definition)
    _add_version(badge, definition, principal)
    record(actor_name(principal), "badge.edit", "badge", key, version=definition.version)
    db.session.commit()
    return badge


def publish_badge(principal: Principal, key: str, *, dry_run: bool = False,
                  notify: bool = False, progress: Callable[[int], Any] | None = None
                  ) -> dict[str, Any]:
    """Publish the latest version and award it to every learner who qualifies now.

    ``dry_run`` answers how many learners would earn it, awarding nothing;
    ``progress(n)`` is told of each batch of n learners evaluated (a console job).
    """
    badge = get_badge(principal, key)
    if badge.status == "archived":
        raise Conflict(f"badge {key!r} is archived")
    candidate = definition_of(key, badge.latest)
    if dry_run:
        badges = {**published_badges(db.session), key: candidate}
        report = backfill(rule="badge", dry_run=True, badges=badges, progress=progress)
        return {"key": key, "version": candidate.version, "would_earn": report.by_badge[key]}
    badge.status, badge.published_version = "published", candidate.version
    record(actor_name(principal), "badge.publish", "badge", key, version=candidate.version,
           notify=notify)
    db.session.commit()  # bumps the catalog revision: live detection evaluates it from now
    report = backfill(rule="badge", notify=notify, progress=progress)
    return {"key": key, "version": candidate.version, "awarded": report.by_badge[key]}


def preview_badge(principal: Principal, body: Any) -> dict[str, Any]:
    """How many learners would earn this definition now, stored or not (the console's live
    count while an author edits). Validated as saving it would be; nothing is written."""
    require_author(principal)
    key = body.get("key") if isinstance(body, dict) else None
    stored = db.session.scalar(select(Badge).where(Badge.key == key)) \
        if isinstance(key, str) and KEY.fullmatch(key) else None
    if stored is not None:
        get_badge(principal, stored.key)  # someone else's badge is not found
    definition = _parse(body, version=stored.latest.version + 1 if stored else 1)
    _check_courses(principal, definition)
    badges = {**published_badges(db.session), definition.key: definition}
    report = backfill(rule="badge", dry_run=True, badges=badges)
    return {"key": definition.key, "would_earn": report.by_badge[definition.key]}


def archive_badge(principal: Principal, key: str) -> Badge:
    """Award it no more; its awards stay."""
    badge = get_badge(principal, key)
    if badge.status != "archived":
        record(actor_name(principal), "badge.archive", "badge", key)
    badge.status = "archived"
    db.session.commit()
    return badge


def import_badges(bodies: Any, *, publish: bool, actor: str = "catalog import") -> list[str]:
    """Create or version every badge of a catalog file (all validated before any write);
    publish them unless ``publish`` is False. Rerunnable: an unchanged definition adds
    no version."""
    check_badges(bodies)
    admin = Principal(kind="admin", id=0, name=actor)
    keys = [_import_one(admin, body, index) for index, body in enumerate(bodies)]
    if publish:
        for key in keys:
            publish_badge(admin, key)
    return keys


def check_badges(bodies: Any) -> None:
    """Refuse a catalog file's badges as :func:`import_badges` would, writing nothing.

    In file order, as the import writes them: a badge may hold one defined earlier in
    the file. Errors name the path from the file (``badges[2].criteria.all[0]...``);
    a badge archived since is a conflict (the file would revive it). Callers may run
    it inside their own unflushed transaction (the catalog import does: the badges
    are checked against the courses the same file brings)."""
    if not isinstance(bodies, list):
        raise InvalidInput("badges must be a list", fields={"badges": ["not a list"]})
    pending: dict[str, AuthoredBadge] = {}
    for index, body in enumerate(bodies):
        with _at(index):
            definition = _parse(body, 1, pending)
        pending[definition.key] = definition
        status = db.session.scalar(select(Badge.status).where(Badge.key == definition.key))
        if status == "archived":
            raise Conflict(f"badge {definition.key!r} is archived",
                           fields={f"badges[{index}].key": ["archived"]})


@contextmanager
def _at(index: int) -> Iterator[None]:
    """Errors of the badge at ``index`` of a file, with its path in the file."""
    try:
        yield
    except InvalidInput as exc:
        fields = {f"badges[{index}].{path}".rstrip("."): msgs
                  for path, msgs in exc.fields.items()}
        raise InvalidInput(exc.detail, fields=fields) from exc


def _import_one(admin: Principal, body: Any, index: int) -> str:
    key = body.get("key") if isinstance(body, dict) else None
    existing = db.session.scalar(select(Badge).where(Badge.key == key)) if key else None
    with _at(index):
        if existing is None:
            return create_badge(admin, body).key
        if _unchanged(existing, body):
            return existing.key
        return update_badge(admin, key, body).key


def _unchanged(badge: Badge, body: dict[str, Any]) -> bool:
    latest = definition_of(badge.key, badge.latest)
    return _parse({**body}, latest.version) == latest


def badge_as_dict(badge: Badge) -> dict[str, Any]:
    """A badge as authors see it: its lifecycle and its latest definition."""
    latest = badge.latest
    return {
        "key": badge.key, "status": badge.status, "version": latest.version,
        "published_version": badge.published_version, "title": latest.title,
        "description": latest.description, "criteria": latest.criteria,
        "hidden": latest.hidden, "expires_after_days": latest.expires_after_days,
        "image": latest.image or {}, "dedupe_key": f"badge:{badge.key}",
        "created_at": badge.created_at.isoformat(),
        "versions": [{"version": v.version, "created_at": v.created_at.isoformat(),
                      "created_by": v.created_by} for v in badge.versions],
    }


def _parse(body: Any, version: int,
           pending: dict[str, AuthoredBadge] | None = None) -> AuthoredBadge:
    """``body`` checked against the catalog and every badge's latest definition (and
    ``pending`` ones not stored yet)."""
    view = catalog().view
    latest = {b.key: definition_of(b.key, b.latest) for b in db.session.scalars(_ALL)}
    latest.update(pending or {})
    key = body.get("key") if isinstance(body, dict) else None
    others = {k: d for k, d in latest.items() if k != key}
    ctx = Context(view, frozenset(latest) | ({key} if isinstance(key, str) else set()))
    return parse_definition(body, ctx, others, version)


def _add_version(badge: Badge, definition: AuthoredBadge, principal: Principal) -> None:
    badge.versions.append(BadgeVersion(
        version=definition.version, title=definition.title,
        description=definition.description, criteria=definition.criteria,
        hidden=definition.hidden, expires_after_days=definition.expires_after_days,
        image=definition.image, created_at=utcnow(), created_by=principal.name))


def require_author(principal: Principal) -> None:
    if not (principal.has_scope(BADGES_WRITE) or principal.kind == "instructor"):
        raise Forbidden(f"authoring badges needs an admin or instructor, or {BADGES_WRITE}")


def _may_edit(principal: Principal, badge: Badge) -> bool:
    if principal.kind != "instructor":
        return True  # require_author let in only admins and badges:write tokens
    return _owns(principal, badge.latest.criteria)


def _owns(principal: Principal, criteria: dict[str, Any]) -> bool:
    named = courses_named(criteria, catalog().view)
    return bool(named) and named <= courses_taught(principal.id)


def _check_courses(principal: Principal, definition: AuthoredBadge) -> None:
    if principal.kind == "instructor" and not _owns(principal, definition.criteria):
        raise Forbidden("instructors author badges whose criteria name only their own courses")

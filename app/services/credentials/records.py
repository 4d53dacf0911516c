"""Which awards are public, and sharing: the learner (or an admin) decides, nothing else.

An award is private until its learner shares it. Public URLs name it by its
``public_id`` (a UUID 4), never by its row id: a private, unknown or malformed
id answers exactly alike (None here, 404 on the wire), so ids reveal nothing.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.domain.badges import award_slug, expires_at
from app.errors import Conflict, NotFound
from app.extensions import db
from app.infra.sql import fetch_one, on_postgresql
from app.models import Achievement, User
from app.models.types import utcnow
from app.services.accounts.principal import ADMIN, Principal
from app.services.credentials.evidence import Evidence, evidence_of

_PUBLIC_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\Z")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SharedAward:
    """A shared award and what its public forms need (the email only ever hashed)."""

    id: int
    public_id: str
    type: str
    slug: str
    title: str
    description: str
    earned_at: datetime
    expires_at: datetime | None
    email: str
    revoked_reason: str | None
    revoked: bool
    image: dict[str, Any] | None = None  # an author-defined badge's own art, as awarded
    evidence: Evidence | None = None  # a badge given by hand: its narrative and URL
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)  # its words
    recipient_name: str | None = None  # the learner's display name; never the email

    @property
    def status(self) -> str:
        """valid, revoked or expired: what a verifier would conclude now."""
        if self.revoked:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= utcnow():
            return "expired"
        return "valid"


_SHARED = (select(Achievement, User.email, User.display_name)
           .join(User, User.id == Achievement.user_id)
           .where(Achievement.public.is_(True)))


# The public endpoints' one read on PostgreSQL: a prepared statement on the read pool in
# autocommit (no Session, no BEGIN/ROLLBACK), as the history API reads; the ORM elsewhere.
_SHARED_SQL = (
    "SELECT a.id, a.public_id, a.achievement_type, a.metadata, a.title, a.description,"
    " a.earned_at, a.revoked_at, a.revoked_reason, u.email, u.display_name"
    " FROM achievements a JOIN users u ON u.id = a.user_id"
    " WHERE a.public_id = %s AND a.public")


def find_shared(public_id: str, rules: dict | None = None) -> SharedAward | None:
    """The shared award with this public id (revoked ones too: they answer 410); else None."""
    if not _PUBLIC_ID.match(public_id):
        return None
    if on_postgresql():
        found = fetch_one(_SHARED_SQL, (public_id,))
        return None if found is None else _from_columns(found, rules)
    row = db.session.execute(_SHARED.where(Achievement.public_id == public_id)).first()
    return None if row is None else _shared(row[0], row[1], rules, row[2])


def _from_columns(found: tuple[Any, ...], rules: dict | None) -> SharedAward:
    (award_id, public_id, kind, meta, title, description, earned, revoked_at, reason, email,
     name) = found
    return SharedAward(
        id=award_id, public_id=public_id, type=kind, slug=award_slug(kind, meta), title=title,
        description=description, earned_at=earned,
        expires_at=expires_at(kind, earned, rules, meta),
        email=email, revoked_reason=reason, revoked=revoked_at is not None,
        image=own_image(kind, meta), evidence=evidence_of(kind, meta), meta=meta or {},
        recipient_name=name)


def find_own_shared(award_id: int, user_id: int, rules: dict | None = None,
                    ) -> SharedAward | None:
    """The learner's own award if it is shared; else None."""
    row = db.session.execute(_SHARED.where(Achievement.id == award_id,
                                           Achievement.user_id == user_id)).first()
    return None if row is None else _shared(row[0], row[1], rules, row[2])


def _shared(award: Achievement, email: str, rules: dict | None,
            name: str | None = None) -> SharedAward:
    return SharedAward(
        id=award.id, public_id=award.public_id, type=award.achievement_type,
        slug=award_slug(award.achievement_type, award.meta), title=award.title,
        description=award.description, earned_at=award.earned_at,
        expires_at=expires_at(award.achievement_type, award.earned_at, rules, award.meta),
        email=email,
        revoked_reason=award.revoked_reason, revoked=award.revoked_at is not None,
        image=own_image(award.achievement_type, award.meta),
        evidence=evidence_of(award.achievement_type, award.meta), meta=award.meta or {},
        recipient_name=name)


def own_image(award_type: str, metadata: dict[str, Any] | None) -> dict[str, Any] | None:
    """An author-defined badge's art as the award's version recorded it (None: default)."""
    image = (metadata or {}).get("image") if award_type == "badge" else None
    return image if isinstance(image, dict) and image else None


def shared_badge_text(slug: str) -> tuple[str, str, dict[str, Any] | None] | None:
    """(title, description, own art) of an author-defined badge as its newest shared,
    unrevoked award says; None when no such award exists (a badge nobody shared is not
    published here). One award answers all three, so they always belong to one version."""
    row = db.session.execute(
        select(Achievement.title, Achievement.description, Achievement.meta)
        .where(Achievement.dedupe_key == slug, Achievement.public.is_(True),
               Achievement.revoked_at.is_(None))
        .order_by(Achievement.id.desc()).limit(1)).first()
    return None if row is None else (row[0], row[1], own_image("badge", row[2]))


def set_sharing(award_id: int, principal: Principal, public: bool) -> Achievement:
    """Share or unshare an award: its learner, or an admin user / ``achievements:admin``
    token. Anyone else's attempt is not found (as an unknown id) and changes nothing.
    A revoked award can still be unshared (its learner keeps its page), never shared."""
    award = db.session.scalar(select(Achievement).where(Achievement.id == award_id)
                              .with_for_update()) if 0 < award_id < 2**63 else None
    mine = award is not None and award.user_id == principal.user_id
    if award is None or not (mine or principal.has_scope(ADMIN)):
        db.session.rollback()
        raise NotFound(f"no achievement {award_id}")
    if public and award.revoked_at is not None:
        db.session.rollback()
        raise Conflict("a revoked award cannot be shared")
    if award.public != public:
        award.public = public
        log.info("award %s %s by %s", award.id, "shared" if public else "unshared",
                 principal.caller_key)
    db.session.commit()
    return award

"""One function per notice kind, returning what its templates need (warehouse's
``warehouse/email``); the sending rules live once, in :func:`notice_kind`.

Each function runs in the worker at send time, in the recipient's language, so it
reads the award as it is *now*: an award revoked before its email left is dropped from
it (and an email left with nothing to say is skipped, not sent).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from babel.dates import format_date, format_datetime
from flask import current_app
from flask_babel import get_locale
from sqlalchemy import and_

from app.domain.badges import award_slug, expires_at
from app.models import Achievement
from app.models.types import utcnow
from app.read.learner_state import learner_zone
from app.read.summary import learner_summary
from app.read.wording import award_text, localize_milestone
from app.services.credentials.records import own_image
from app.services.delivery.claims import Notice
from app.services.delivery.reads import AwardFacts, ClaimReads, Recipient, award_facts
from app.services.notifications.preferences import CATEGORY_OF

Context = dict[str, Any]
KindFunction = Callable[[Recipient, list[Notice], ClaimReads], Context | None]
KINDS: dict[str, KindFunction] = {}
MAX_ART = 5  # badge pictures carried inline by one email; more are listed without
# Awards one email (or push) lists; more are counted, with a link to them all: a burst (a
# course finished on a backlog's first pass) may bring dozens, which made an email too long
# to read and a push too big for its services (4 KB), and cost the relay most of its time.
MAX_LISTED = 10


def notice_kind(name: str) -> Callable[[KindFunction], KindFunction]:
    """Register a kind; the rules every kind shares: the learner still wants it on this
    channel, and the context names the learner, the links and the category."""
    def register(function: KindFunction) -> KindFunction:
        @wraps(function)
        def with_rules(user: Recipient, rows: list[Notice],
                       reads: ClaimReads) -> Context | None:
            if not reads.wants(user.id, name, rows[0].channel):
                return None
            context = function(user, rows, reads)
            if context is None:
                return None
            return {"kind": name, "category": CATEGORY_OF[name], "user": user,
                    "public_url": public_url(), **context}
        KINDS[name] = with_rules
        return with_rules
    return register


def public_url() -> str:
    return str(current_app.config["ACHIEVEMENTS_CONFIG"].PUBLIC_URL)


@notice_kind("award")
def award(user: Recipient, rows: list[Notice], reads: ClaimReads) -> Context | None:
    awards = [a for a in reads.awards_of(user.id, [i for r in rows for i in r.award_ids])
              if a.revoked_at is None]
    if not awards:
        return None
    shown = awards[:MAX_LISTED]
    return {"awards": [_award(user, a, i < MAX_ART) for i, a in enumerate(shown)],
            "count": len(awards), "more": len(awards) - len(shown),
            "all_url": f"{public_url()}/achievements"}


@notice_kind("revoked")
def revoked(user: Recipient, rows: list[Notice], reads: ClaimReads) -> Context | None:
    return _one(user, rows[0], reads, lambda a: a.revoked_at is not None,
                reason=rows[0].detail or "")


@notice_kind("restored")
def restored(user: Recipient, rows: list[Notice], reads: ClaimReads) -> Context | None:
    return _one(user, rows[0], reads, lambda a: a.revoked_at is None)


@notice_kind("expiry")
def expiry(user: Recipient, rows: list[Notice], reads: ClaimReads) -> Context | None:
    days = int(rows[0].cause.rsplit(":", 1)[-1])
    return _one(user, rows[0], reads, lambda a: a.revoked_at is None, days=days)


@notice_kind("digest")
def digest(user: Recipient, rows: list[Notice], reads: ClaimReads) -> Context | None:
    since = utcnow() - timedelta(days=7)
    recent = award_facts(and_(Achievement.user_id == user.id, Achievement.revoked_at.is_(None),
                              Achievement.earned_at >= since))
    locale = str(get_locale())
    upcoming = [localize_milestone(m, locale)
                for m in learner_summary(user.id)["next_milestones"][:3]]
    if not recent and not upcoming:
        return None
    return {"awards": [_award(user, a, i < MAX_ART) for i, a in enumerate(recent)],
            "milestones": upcoming}


def _one(user: Recipient, row: Notice, reads: ClaimReads, still: Callable[[AwardFacts], bool],
         **extra: Any) -> Context | None:
    """The context of a notice about one award, or None when the award changed since."""
    found = reads.awards_of(user.id, [row.subject_id])
    if not found or not still(found[0]):
        return None
    return {"award": _award(user, found[0], True), "at": _when(user, row.created_at), **extra}


def _award(user: Recipient, award: AwardFacts, with_art: bool) -> Context:
    rules = current_app.config["ACHIEVEMENTS_CONFIG"].RULES
    ends = expires_at(award.achievement_type, award.earned_at, rules, award.meta)
    title, description = award_text(award.achievement_type, award.meta or {}, award.title,
                                    award.description, str(get_locale()))
    return {"id": award.id, "title": title, "description": description,
            "url": f"{public_url()}/achievements/{award.id}",
            "earned": _day(user, award.earned_at), "expires": _day(user, ends) if ends else None,
            "slug": award_slug(award.achievement_type, award.meta),
            "image": own_image(award.achievement_type, award.meta),
            "cid": f"badge-{award.id}" if with_art else None}


def _day(user: Recipient, moment: datetime) -> str:
    zone = learner_zone(user.timezone)
    return format_date(moment.astimezone(zone), format="long", locale=str(get_locale()))


def _when(user: Recipient, moment: datetime) -> str:
    zone = learner_zone(user.timezone)
    return format_datetime(moment.astimezone(zone), format="medium", tzinfo=zone,
                           locale=str(get_locale()))

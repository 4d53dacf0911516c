"""What the public Open Badges URLs answer: one function per URL, for the web transport.

Unknown and private ids raise ``NotFound`` alike; a revoked award's documents
raise ``Revoked`` carrying the body its URL answers with 410 Gone.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app

from app.domain.badges import AUTHORED_PREFIX, BadgeDefinition, authored, definition
from app.errors import DomainError, NotFound
from app.infra import signing
from app.services.credentials import openbadges2, openbadges3, status_list
from app.services.credentials.art import baked_png
from app.services.credentials.issuer import Issuer, issuer
from app.services.credentials.own_art import art_png, art_url, own_png
from app.services.credentials.records import (
    SharedAward,
    find_own_shared,
    find_shared,
    shared_badge_text,
)
from app.services.credentials.share_links import ShareLinks, share_links


class Revoked(DomainError):
    """The award was revoked: its public URLs answer 410 with ``body``."""

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__("this award was revoked")
        self.body = body


@dataclass(frozen=True)
class BadgePage:
    award: SharedAward
    badge: BadgeDefinition
    issuer: Issuer
    links: ShareLinks


def shared_award(public_id: str) -> SharedAward:
    """A shared award, revoked ones included (the badge page says so); else NotFound."""
    award = find_shared(public_id, current_app.config.get("RULES"))
    if award is None:
        raise NotFound("no such badge")
    return award


def badge_page(public_id: str) -> BadgePage:
    """What the public badge page shows (revoked and expired awards too, saying so)."""
    award, who = shared_award(public_id), issuer()
    return BadgePage(award, badge(award.slug), who, share_links(who, award))


def own_share_links(award_id: int, user_id: int) -> ShareLinks | None:
    """The Share panel's links for the learner's own award; None while it is private."""
    award = find_own_shared(award_id, user_id, current_app.config.get("RULES"))
    return None if award is None else share_links(issuer(), award)


def badge(slug: str) -> BadgeDefinition:
    """A built-in badge by its slug, or an author-defined one (``badge:<key>``) that some
    learner shares."""
    return badge_and_art(slug)[0]


def badge_and_art(slug: str) -> tuple[BadgeDefinition, dict[str, Any] | None]:
    """The badge and its own art (an author-defined badge's, as its newest shared award
    drew it; None: the built-in art)."""
    found = definition(slug)
    if found is not None:
        return found, None
    shared = shared_badge_text(slug) if slug.startswith(AUTHORED_PREFIX) else None
    if shared is None:
        raise NotFound(f"no badge {slug}")
    title, description, image = shared
    return authored(slug, title, description), image


def issuer_v2() -> dict[str, Any]:
    return openbadges2.issuer_profile(issuer())


def badge_class(slug: str) -> dict[str, Any]:
    found, image = badge_and_art(slug)
    who = issuer()
    return openbadges2.badge_class(who, found, art_url(who, slug, image))


def badge_image(slug: str) -> bytes:
    found, image = badge_and_art(slug)
    return art_png(found.slug, image)


def own_art(token: str) -> bytes:
    """An author-defined badge's own art by its token (``own_art.art_token``)."""
    return own_png(token)


def _live(public_id: str, url_of: Callable[[Issuer, str], str]) -> SharedAward:
    """A shared award that is not revoked; a revoked one raises ``Revoked`` naming
    ``url_of(issuer, public_id)``."""
    award = shared_award(public_id)
    if award.revoked:
        who = issuer()
        raise Revoked({**openbadges2.revoked_assertion(who, award), "id": url_of(who, public_id)})
    return award


def assertion(public_id: str) -> dict[str, Any]:
    award = _live(public_id, openbadges2.assertion_url)
    return openbadges2.assertion(issuer(), award)


def baked_badge(public_id: str) -> bytes:
    """The badge PNG with the award's assertion baked in."""
    award = _live(public_id, openbadges2.assertion_url)
    document = openbadges2.assertion(issuer(), award)
    return baked_png(art_png(award.slug, award.image),
                     json.dumps(document, separators=(",", ":")))


def credential_jwt(public_id: str) -> str:
    award = _live(public_id, openbadges3.credential_url)
    return openbadges3.credential_jwt(issuer(), award, badge(award.slug))


def issuer_v3() -> dict[str, Any]:
    return {"@context": [status_list.VC2_CONTEXT, openbadges3.OB3_CONTEXT],
            **openbadges3.profile(issuer())}


def achievement_v3(slug: str) -> dict[str, Any]:
    found, image = badge_and_art(slug)
    who = issuer()
    return {"@context": [status_list.VC2_CONTEXT, openbadges3.OB3_CONTEXT],
            **openbadges3.achievement(who, found, art_url(who, slug, image))}


def status_list_jwt(number: int) -> str:
    if not 0 <= number <= status_list.MAX_LIST:
        raise NotFound(f"no status list {number}")
    return status_list.status_list_jwt(issuer(), number)


def jwks() -> dict[str, Any]:
    return signing.public_jwks()


def jwk(kid: str) -> dict[str, Any]:
    found = signing.public_jwk(kid)
    if found is None:
        raise NotFound(f"no key {kid}")
    return found

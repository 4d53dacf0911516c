"""An author-defined badge's holders, and revoking or restoring several of its awards at
once with one reason, for those who may author the badge (an instructor: among the
learners of its courses). Each act is audited by the revocation service."""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.authored_badge import AuthoredBadge
from app.errors import NotFound
from app.infra.caches.catalog import definition_of
from app.models import Achievement
from app.read.badge_holders import Holder, awards_among, holder_counts, holder_page
from app.services.accounts.principal import Principal
from app.services.audit import actor_name
from app.services.awarding.revocation import restore_awards, revoke_awards
from app.services.badges.authoring import get_badge
from app.services.badges.by_hand import reach


@dataclass(frozen=True)
class HoldersView:
    badge: AuthoredBadge  # the latest definition (archived badges have holders too)
    status: str
    holders: list[Holder]
    next_after: int | None
    holding: int
    revoked: int


def badge_holders(principal: Principal, key: str, after: int = 0) -> HoldersView:
    """One page of the badge's holders (by award id) and how many hold it or lost it."""
    stored = get_badge(principal, key)
    badge = definition_of(key, stored.latest)
    scope = reach(principal, badge)
    page, next_after = holder_page(badge.dedupe_key, scope, after)
    holding, revoked = holder_counts(badge.dedupe_key, scope)
    return HoldersView(badge, stored.status, page, next_after, holding, revoked)


def change_badge_awards(principal: Principal, key: str, award_ids: list[int], reason: str,
                        *, revoke: bool) -> list[Achievement]:
    """Revoke (reason required) or restore these awards of the badge, all or none."""
    mine = set(awards_among(f"badge:{key}", _reach(principal, key), award_ids))
    missing = [award_id for award_id in award_ids if award_id not in mine]
    if missing or not award_ids:
        raise NotFound(f"no award {missing[0] if missing else ''} of badge {key!r}")
    actor = actor_name(principal)
    return revoke_awards(award_ids, reason, actor) if revoke \
        else restore_awards(award_ids, actor, reason)


def _reach(principal: Principal, key: str) -> set[str] | None:
    badge = get_badge(principal, key)
    return reach(principal, definition_of(key, badge.latest))

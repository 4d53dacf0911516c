"""The shape of an award every transport shows (REST, SSE, the gRPC servicer's source)."""

from __future__ import annotations

from typing import Any

from flask import current_app

from app.domain.badge_art import image_path
from app.domain.badges import art_stem, award_slug
from app.models import Achievement, User


def badge_name(award: Achievement) -> str:
    """File stem of the badge art: tiered for streaks and milestones, one for every
    author-defined badge."""
    return art_stem(award_slug(award.achievement_type, award.meta))


def badge_url(award: Achievement) -> str:
    """The award's art: an author-defined badge's own design or upload, else its file."""
    own = image_path((award.meta or {}).get("image")) if award.achievement_type == "badge" \
        else None
    return own or f"/static/badges/{badge_name(award)}.svg"


def open_badges_links(award: Achievement) -> dict[str, str | None]:
    """The award's public Open Badges URLs; both null while it is private."""
    if not getattr(award, "public", False):
        return {"assertion": None, "credential": None}
    base = current_app.config["PUBLIC_URL"]
    return {"assertion": f"{base}/ob/v2/assertions/{award.public_id}",
            "credential": f"{base}/ob/v3/credentials/{award.public_id}"}


def award_as_dict(award: Achievement) -> dict[str, Any]:
    """The public shape of an award (REST, SSE, and the gRPC servicer's source); a revoked
    one (read only by its learner's history with ``include_revoked``) says when and why."""
    shape = {
        "id": award.id,
        "user_id": award.user_id,
        "type": award.achievement_type,
        "dedupe_key": award.dedupe_key,
        "title": award.title,
        "description": award.description,
        "earned_at": award.earned_at.isoformat(),
        "metadata": award.meta or {},
        "badge": badge_name(award),
        "badge_url": badge_url(award),
        "public": bool(getattr(award, "public", False)),
        "open_badges": open_badges_links(award),
    }
    if getattr(award, "revoked_at", None) is not None:
        shape["revoked"] = {"at": award.revoked_at.isoformat(), "reason": award.revoked_reason}
    return shape


def user_as_dict(user: User) -> dict[str, Any]:
    """A user as REST shows them to whoever may read them (never on a public page)."""
    return {"id": user.id, "email": user.email, "display_name": user.display_name,
            "role": user.role, "timezone": user.timezone, "locale": user.locale}

"""The shape of an award every transport shows (REST, SSE, the gRPC servicer's source)."""

from __future__ import annotations

from typing import Any

from app.models import Achievement


def badge_name(award: Achievement) -> str:
    """File stem of the badge art: tiered for streaks and milestones."""
    meta = award.meta or {}
    if award.achievement_type == "streak":
        return f"streak-{meta.get('days', 3)}"
    if award.achievement_type == "milestone":
        return f"milestone-{meta.get('counter', 'modules')}-{meta.get('threshold', 1)}"
    return award.achievement_type


def award_as_dict(award: Achievement) -> dict[str, Any]:
    """The public shape of an award (REST, SSE, and the gRPC servicer's source)."""
    return {
        "id": award.id,
        "user_id": award.user_id,
        "type": award.achievement_type,
        "dedupe_key": award.dedupe_key,
        "title": award.title,
        "description": award.description,
        "earned_at": award.earned_at.isoformat(),
        "metadata": award.meta or {},
        "badge": badge_name(award),
        "badge_url": f"/static/badges/{badge_name(award)}.svg",
    }

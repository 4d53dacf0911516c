"""The achievement types a client can meet: the built-in types and every published badge.

One function for every transport (REST ``GET /achievement-types``, gRPC
``ListAchievementTypes``), so both list the same badges the same way. Published
badges come from the revision-keyed catalog cache (one revision query per call).
"""

from __future__ import annotations

from typing import Any

from app.domain.authored_badge import AuthoredBadge
from app.domain.types import achievement_types
from app.domain.wording import HIDDEN_BADGE
from app.infra.caches.catalog import catalog

HIDDEN_TITLE = HIDDEN_BADGE[0].singular
HIDDEN_DESCRIPTION = ""
DEFAULT_BADGE = "badge"  # the art stem of every author-defined badge, until authors pick one


def listed_types(overrides: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The built-in types, then each published badge as a type of its own (by key).

    Each entry is ``{"key", "title", "description", "thresholds", "badge", "hidden"}``;
    a badge's key is its dedupe key ``badge:<key>``.
    """
    built_in = [{**kind, "hidden": False} for kind in achievement_types(overrides)]
    badges = catalog().view.badges
    return built_in + [badge_type(badges[key]) for key in sorted(badges)]


def badge_type(badge: AuthoredBadge) -> dict[str, Any]:
    """A published badge as a type. A hidden one stays a mystery in the list: a neutral
    title and no description (its criteria are never listed)."""
    return {"key": badge.dedupe_key,
            "title": HIDDEN_TITLE if badge.hidden else badge.title,
            "description": HIDDEN_DESCRIPTION if badge.hidden else badge.description,
            "thresholds": [], "badge": DEFAULT_BADGE, "hidden": badge.hidden}

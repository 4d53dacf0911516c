"""Badge definitions: what one Open Badges BadgeClass (2.0) or Achievement (3.0) describes.

One definition per badge, not per award: every learner's "7-day streak" is the
same badge. Its slug names it in public URLs:

- a built-in type without tiers is its registry key (``module_complete``);
- a tiered type adds its tier (``streak-7``, ``milestone-modules-10``), the
  same stem as its badge art;
- an author-defined badge is ``badge:<key>``, its awards' dedupe key: the colon
  never occurs in a built-in slug, so both kinds share one namespace without
  clashes. Its name and description come from its awards (the services layer
  reads them), not from this module.

Pure: the registry's titles and descriptions in, plain data out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.domain.registry import RULES, settings_for

AUTHORED_PREFIX = "badge:"
AUTHORED_ART = "badge"
_TIERED = re.compile(r"(?P<type>streak)-(?P<tier>[1-9][0-9]{0,4})\Z"
                     r"|(?P<mtype>milestone)-(?P<counter>modules|courses)-(?P<mtier>[1-9][0-9]{0,4})\Z")


@dataclass(frozen=True)
class BadgeDefinition:
    slug: str
    type: str
    name: str
    description: str
    criteria: str  # what earns it, in words

    @property
    def art(self) -> str:
        """Stem of its badge art: the slug, or the one art every author-defined badge has."""
        return art_stem(self.slug)


def art_stem(slug: str) -> str:
    return AUTHORED_ART if slug.startswith(AUTHORED_PREFIX) else slug


def authored(slug: str, title: str, description: str) -> BadgeDefinition:
    """An author-defined badge, as its awards describe it (its criteria are the author's)."""
    return BadgeDefinition(slug, "badge", title, description,
                           description or "Meet the criteria its author set.")


def award_slug(award_type: str, metadata: dict[str, Any] | None) -> str:
    """The slug of the badge an award is an instance of."""
    meta = metadata or {}
    if award_type == "badge":
        return f"{AUTHORED_PREFIX}{meta.get('badge', '')}"
    if award_type == "streak":
        return f"streak-{meta.get('days', 3)}"
    if award_type == "milestone":
        return f"milestone-{meta.get('counter', 'modules')}-{meta.get('threshold', 1)}"
    return award_type


def definition(slug: str) -> BadgeDefinition | None:
    """The badge a slug names, or None when no badge has that slug."""
    tiered = _TIERED.match(slug)
    if tiered and tiered["type"]:
        days = int(tiered["tier"])
        return BadgeDefinition(slug, "streak", f"{days}-day streak",
                               f"Learned on {days} days in a row.",
                               f"Learn on {days} consecutive days, counted in the "
                               "learner's own time zone.")
    if tiered:
        count, counter = int(tiered["mtier"]), tiered["counter"]
        noun = counter[:-1] if count == 1 else counter
        return BadgeDefinition(slug, "milestone", f"{count} {noun} completed",
                               f"Completed {count} {noun}.",
                               f"Complete {count} {noun} in total.")
    spec = RULES.get(slug)
    if spec is None or spec.key in {"streak", "milestone"}:
        return None
    return BadgeDefinition(slug, spec.key, spec.title, spec.description, spec.description)


def expires_at(award_type: str, earned_at: datetime, overrides: dict[str, Any] | None = None,
               metadata: dict[str, Any] | None = None) -> datetime | None:
    """When an award stops being valid: an author-defined badge's ``expires_after_days``, a
    built-in type's ``valid_days`` in the rule's settings
    (``ACHIEVEMENTS_RULES={"high_score": {"valid_days": 365}}``); None: never."""
    after = (metadata or {}).get("expires_after_days") if award_type == "badge" else None
    if after:
        return earned_at + timedelta(days=int(after))
    if award_type not in RULES:
        return None
    days = settings_for(award_type, overrides).get("valid_days")
    return earned_at + timedelta(days=int(days)) if days else None

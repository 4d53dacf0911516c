"""Badge definitions: what one Open Badges BadgeClass (2.0) or Achievement (3.0) describes.

One definition per badge, not per award: every learner's "7-day streak" is the
same badge. Its slug names it in public URLs:

- a built-in type without tiers is its registry key (``module_complete``);
- a tiered type adds its tier (``streak-7``, ``milestone-modules-10``), the
  same stem as its badge art;
- an author-defined badge (another issue) is ``badge:<key>``: the colon never
  occurs in a built-in slug, so both kinds share one namespace without clashes.

Pure: the registry's titles and descriptions in, plain data out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.domain.registry import RULES, settings_for

AUTHORED_PREFIX = "badge:"
_TIERED = re.compile(r"(?P<type>streak)-(?P<tier>[1-9][0-9]{0,4})\Z"
                     r"|(?P<mtype>milestone)-(?P<counter>modules|courses)-(?P<mtier>[1-9][0-9]{0,4})\Z")


@dataclass(frozen=True)
class BadgeDefinition:
    slug: str
    type: str
    name: str
    description: str
    criteria: str  # what earns it, in words


def award_slug(award_type: str, metadata: dict[str, Any] | None) -> str:
    """The slug of the badge an award is an instance of."""
    meta = metadata or {}
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


def expires_at(award_type: str, earned_at: datetime,
               overrides: dict[str, Any] | None = None) -> datetime | None:
    """When an award of this type stops being valid: ``valid_days`` in the rule's settings
    (``ACHIEVEMENTS_RULES={"high_score": {"valid_days": 365}}``); None: never."""
    if award_type not in RULES:
        return None
    days = settings_for(award_type, overrides).get("valid_days")
    return earned_at + timedelta(days=int(days)) if days else None

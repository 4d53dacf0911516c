"""Open Badges 2.0, hosted verification: Issuer, BadgeClass and Assertion documents.

One BadgeClass per badge definition (``app.domain.badges``: a built-in type or
tier now, ``badge:<key>`` for author-defined badges), one Assertion per shared
award. The recipient is the learner's email, salted and hashed, never plain; a badge
given by hand with a note carries it as ``evidence``. A
revoked award's Assertion is replaced by ``{"id", "revoked": true,
"revocationReason"}``, answered with 410 Gone, as the specification says.
"""

from __future__ import annotations

from typing import Any

from app.domain.badges import BadgeDefinition
from app.services.credentials.evidence import ob2_evidence
from app.services.credentials.issuer import (
    OB2_CONTEXT,
    Issuer,
    identity_hash,
    iso,
    salt_for,
)
from app.services.credentials.records import SharedAward


def issuer_profile(who: Issuer) -> dict[str, Any]:
    return {"@context": OB2_CONTEXT, "type": "Issuer", "id": who.url_for("/ob/v2/issuer"),
            "name": who.name, "url": who.url, "email": who.email}


def badge_class(who: Issuer, badge: BadgeDefinition, image: str) -> dict[str, Any]:
    """The BadgeClass; ``image`` is the URL of its PNG (an authored badge's own art)."""
    return {"@context": OB2_CONTEXT, "type": "BadgeClass",
            "id": who.url_for(f"/ob/v2/badges/{badge.slug}"), "name": badge.name,
            "description": badge.description, "image": image,
            "criteria": {"narrative": badge.criteria}, "issuer": who.url_for("/ob/v2/issuer")}


def assertion_url(who: Issuer, public_id: str) -> str:
    return who.url_for(f"/ob/v2/assertions/{public_id}")


def assertion(who: Issuer, award: SharedAward) -> dict[str, Any]:
    salt = salt_for(award.public_id)
    document: dict[str, Any] = {
        "@context": OB2_CONTEXT, "type": "Assertion", "id": assertion_url(who, award.public_id),
        "recipient": {"type": "email", "hashed": True, "salt": salt,
                      "identity": identity_hash(award.email, salt)},
        "badge": who.url_for(f"/ob/v2/badges/{award.slug}"),
        "issuedOn": iso(award.earned_at),
        "verification": {"type": "hosted"},
        "image": who.url_for(f"/ob/v2/assertions/{award.public_id}/image"),
        "narrative": award.description,
    }
    if award.expires_at is not None:
        document["expires"] = iso(award.expires_at)
    if award.evidence is not None:
        document["evidence"] = ob2_evidence(award.evidence)
    return document


def revoked_assertion(who: Issuer, award: SharedAward) -> dict[str, Any]:
    """What a revoked award's Assertion URL answers (with 410 Gone)."""
    return {"@context": OB2_CONTEXT, "id": assertion_url(who, award.public_id),
            "revoked": True, "revocationReason": award.revoked_reason or "revoked"}

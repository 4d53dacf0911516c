"""Open Badges 3.0: an award as an OpenBadgeCredential (VC Data Model 2.0), as a VC-JWT.

The JWT payload is the credential itself plus the registered claims that
mirror it (``iss`` issuer id, ``jti`` credential id, ``sub`` subject id,
``nbf`` validFrom, ``exp`` validUntil when the badge expires), signed RS256
with ``typ`` JWT and a ``kid`` URL that answers the public key. The payload
is the same bytes for the same award version, so it is signed once
(``signatures.signed_jwt``). ``credentialStatus`` points into the status list. The
embedded Achievement shows the art of the version awarded; a badge given by hand with
a note carries it as ``evidence``.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from app.domain.badges import BadgeDefinition
from app.services.credentials.evidence import ob3_evidence
from app.services.credentials.issuer import Issuer, identity_hash, iso, salt_for
from app.services.credentials.own_art import art_url
from app.services.credentials.records import SharedAward
from app.services.credentials.signatures import signed_jwt
from app.services.credentials.status_list import VC2_CONTEXT, status_entry

OB3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB3_SCHEMA = ("https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
              "ob_v3p0_achievementcredential_schema.json")


def profile(who: Issuer) -> dict[str, Any]:
    """The issuer as an OB 3.0 Profile (also embedded in each credential)."""
    return {"id": who.url_for("/ob/v3/issuer"), "type": ["Profile"], "name": who.name,
            "url": who.url, "email": who.email}


def achievement(who: Issuer, badge: BadgeDefinition, image: str) -> dict[str, Any]:
    """The badge as an OB 3.0 Achievement (one per badge definition, as the BadgeClass);
    ``image`` is the URL of its PNG (in a credential: the art of the awarded version)."""
    return {"id": who.url_for(f"/ob/v3/achievements/{badge.slug}"), "type": ["Achievement"],
            "achievementType": "Badge", "name": badge.name, "description": badge.description,
            "criteria": {"narrative": badge.criteria}, "image": {"id": image, "type": "Image"},
            "creator": profile(who)}


def credential_url(who: Issuer, public_id: str) -> str:
    return who.url_for(f"/ob/v3/credentials/{public_id}")


def credential(who: Issuer, award: SharedAward, badge: BadgeDefinition) -> dict[str, Any]:
    """The unsigned OpenBadgeCredential."""
    salt = salt_for(award.public_id)
    document: dict[str, Any] = {
        "@context": [VC2_CONTEXT, OB3_CONTEXT], "id": credential_url(who, award.public_id),
        "type": ["VerifiableCredential", "OpenBadgeCredential"], "issuer": profile(who),
        "validFrom": iso(award.earned_at), "name": award.title,
        "credentialSubject": {
            "id": subject_id(award.public_id), "type": ["AchievementSubject"],
            "identifier": [{"type": "IdentityObject", "identityType": "emailAddress",
                            "hashed": True, "salt": salt,
                            "identityHash": identity_hash(award.email, salt)}],
            "achievement": achievement(who, badge, art_url(who, award.slug, award.image))},
        "credentialStatus": status_entry(who, award.id),
        "credentialSchema": [{"id": OB3_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}],
    }
    if award.expires_at is not None:
        document["validUntil"] = iso(award.expires_at)
    if award.evidence is not None:
        document["evidence"] = ob3_evidence(award.evidence)
    return document


def subject_id(public_id: str) -> str:
    """A per-award pseudonym for the learner: links nothing across awards or to the email."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'subject:{public_id}')}"


def credential_jwt(who: Issuer, award: SharedAward, badge: BadgeDefinition) -> str:
    """The credential as a signed VC-JWT (signed once per award version and key)."""
    body = credential(who, award, badge)
    claims: dict[str, Any] = {"iss": body["issuer"]["id"], "jti": body["id"],
                              "sub": body["credentialSubject"]["id"],
                              "nbf": int(award.earned_at.timestamp())}
    if award.expires_at is not None:
        claims["exp"] = int(award.expires_at.timestamp())
    return signed_jwt(json.dumps({**body, **claims}, separators=(",", ":")).encode())

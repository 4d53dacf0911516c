"""The issuer (from settings), public URLs, hashed recipient identities and dates.

Shared by the Open Badges 2.0 documents and the 3.0 credential, so both name
the same issuer, badge and learner the same way.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app

OB2_CONTEXT = "https://w3id.org/openbadges/v2"


@dataclass(frozen=True)
class Issuer:
    base: str  # ACHIEVEMENTS_PUBLIC_URL: the base of every public id
    name: str
    email: str
    url: str

    def url_for(self, path: str) -> str:
        return f"{self.base}{path}"


def issuer() -> Issuer:
    config = current_app.config
    base = config["PUBLIC_URL"].rstrip("/")
    return Issuer(base=base, name=config["ISSUER_NAME"], email=config["ISSUER_EMAIL"],
                  url=config.get("ISSUER_URL") or base)


def salt_for(public_id: str) -> str:
    """The award's recipient salt: fixed per award, so its documents never change."""
    return hashlib.sha256(f"recipient-salt:{public_id}".encode()).hexdigest()[:16]


def identity_hash(email: str, salt: str) -> str:
    """Open Badges' salted identity: ``sha256$`` + hex(sha256(email + salt)); never the email."""
    return "sha256$" + hashlib.sha256((email + salt).encode()).hexdigest()


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC to the second, with ``Z`` (what both specifications show)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

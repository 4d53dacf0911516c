"""Scoped service tokens; only their SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select

from app.accounts.principal import Principal
from app.errors import InvalidInput, NotFound, Unauthenticated
from app.extensions import db
from app.models import ServiceToken
from app.models.types import utcnow
from app.models.user import SCOPES

TOKEN_PREFIX = "ach_"


def hash_token(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def create_token(name: str, scopes: list[str]) -> tuple[ServiceToken, str]:
    """Store a new token and return it with its plaintext, which is never stored."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise InvalidInput(f"scopes must be among {', '.join(SCOPES)}",
                           fields={"scope": unknown or ["required"]})
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ServiceToken(name=name, token_hash=hash_token(plaintext), scopes=" ".join(scopes))
    db.session.add(token)
    db.session.commit()
    return token, plaintext


def verify_token(plaintext: str) -> Principal:
    token = db.session.scalar(
        select(ServiceToken).where(ServiceToken.token_hash == hash_token(plaintext.strip()))
    )
    if token is None or token.revoked_at is not None:
        raise Unauthenticated("invalid or revoked service token")
    return Principal.service(token.id, token.name, token.scope_set)


def list_tokens() -> list[ServiceToken]:
    return list(db.session.scalars(select(ServiceToken).order_by(ServiceToken.id)))


def revoke_token(token_id: int) -> ServiceToken:
    token = db.session.get(ServiceToken, token_id)
    if token is None:
        raise NotFound(f"no token {token_id}")
    token.revoked_at = token.revoked_at or utcnow()
    db.session.commit()
    return token

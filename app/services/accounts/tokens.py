"""Scoped service tokens; only their SHA-256 is stored.

Verified tokens may be remembered briefly (:func:`token_cache`, used by REST
and gRPC): internal callers send many requests a second with one token, and a
database lookup per request cost about a third of a history read. The
trade-off: a revoked token keeps working for up to the cache's TTL in each
other process that verified it recently. Unknown and revoked tokens are never
cached, so every failure is checked against the database.
"""

from __future__ import annotations

import hashlib
import secrets

from flask import Flask, current_app
from sqlalchemy import select

from app.errors import InvalidInput, NotFound, Unauthenticated
from app.extensions import db
from app.infra.caches.verified_tokens import VerifiedTokens
from app.models import ServiceToken
from app.models.types import utcnow
from app.models.user import SCOPES
from app.services.accounts.principal import Principal

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


def token_cache(ttl: float) -> VerifiedTokens[Principal]:
    """A cache of verified tokens (REST and gRPC each keep one per app or server)."""
    return VerifiedTokens(ttl, lambda token: verify_token(token), hash_token)


def list_tokens() -> list[ServiceToken]:
    return list(db.session.scalars(select(ServiceToken).order_by(ServiceToken.id)))


def revoke_token(token_id: int) -> ServiceToken:
    token = db.session.get(ServiceToken, token_id)
    if token is None:
        raise NotFound(f"no token {token_id}")
    token.revoked_at = token.revoked_at or utcnow()
    db.session.commit()
    shared_cache(current_app).forget(token.token_hash)
    return token


def shared_cache(app: Flask) -> VerifiedTokens[Principal]:
    """The app's cache for REST bearer tokens (``TOKEN_CACHE_SECONDS``); one per app, so
    apps on other databases (tests) never share entries. :func:`revoke_token` clears its
    entry, so a revocation in this process takes effect at once, elsewhere within the TTL."""
    cache = app.extensions.get("token_cache")
    if cache is None:
        ttl = app.config["ACHIEVEMENTS_CONFIG"].TOKEN_CACHE_SECONDS
        cache = app.extensions.setdefault("token_cache", token_cache(ttl))
    return cache

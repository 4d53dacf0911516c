"""Scoped service tokens; only their SHA-256 is stored.

Verified tokens may be remembered briefly (:class:`TokenCache`, used by REST
and gRPC): internal callers send many requests a second with one token, and a
database lookup per request cost about a third of a history read. The
trade-off: a revoked token keeps working for up to the cache's TTL in each
other process that verified it recently. Unknown and revoked tokens are never
cached, so every failure is checked against the database.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time

from flask import Flask, current_app
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


class TokenCache:
    """Principals of recently verified tokens, for ``ttl`` seconds (0 disables it)."""

    MAX_ENTRIES = 4096

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def principal(self, token: str) -> Principal:
        """The token's principal; ``verify_token`` (needs an app context) only on a miss."""
        key = hash_token(token.strip())
        now = time.monotonic()
        hit = self._entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        principal = verify_token(token)
        if self.ttl > 0:
            with self._lock:
                if len(self._entries) >= self.MAX_ENTRIES:
                    self._entries.clear()
                self._entries[key] = (now + self.ttl, principal)
        return principal

    def forget(self, token_hash: str) -> None:
        with self._lock:
            self._entries.pop(token_hash, None)


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


def shared_cache(app: Flask) -> TokenCache:
    """The app's cache for REST bearer tokens (``TOKEN_CACHE_SECONDS``); one per app, so
    apps on other databases (tests) never share entries. :func:`revoke_token` clears its
    entry, so a revocation in this process takes effect at once, elsewhere within the TTL."""
    cache = app.extensions.get("token_cache")
    if cache is None:
        ttl = app.config["ACHIEVEMENTS_CONFIG"].TOKEN_CACHE_SECONDS
        cache = app.extensions.setdefault("token_cache", TokenCache(ttl))
    return cache

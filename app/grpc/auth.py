"""Bearer tokens from call metadata, verified through ``app.accounts`` and briefly cached.

Internal callers send thousands of calls a second with the same token; a
database lookup per call would cost more than the call's own work. Verified
tokens are remembered for ``GRPC_TOKEN_CACHE_SECONDS`` (a revoked token stops
working within that time); unknown tokens are never cached, so every
failure is checked against the database.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from app.accounts import Principal, verify_token
from app.accounts.tokens import hash_token
from app.errors import Forbidden, Unauthenticated

MAX_ENTRIES = 4096


def bearer_token(metadata: Any) -> str:
    for key, value in metadata or ():
        scheme, _, token = value.partition(" ") if isinstance(value, str) else ("", "", "")
        if key == "authorization" and scheme.lower() == "bearer" and token.strip():
            return token.strip()
    raise Unauthenticated("send a service token as 'authorization: Bearer <token>' metadata")


class TokenCache:
    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def principal(self, token: str) -> Principal:
        """The token's principal; ``verify_token`` (needs an app context) only on a miss."""
        key = hash_token(token)
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        principal = verify_token(token)
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (now + self.ttl, principal)
        return principal


def authorize(principal: Principal, scope: str) -> Principal:
    if not principal.has_scope(scope):
        raise Forbidden(f"the {scope} scope is required")
    return principal

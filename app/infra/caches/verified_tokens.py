"""Verified service tokens: the principal each recently verified token stands for.

Holds ``hash -> (deadline, principal)`` for tokens that verified; unknown and
revoked tokens are never kept, so every failure is checked against the database.
Invalidation: an entry expires ``ttl`` seconds after it was verified, and
:meth:`VerifiedTokens.forget` drops it at once (revocation in this process).
Staleness bound: a token revoked in another process keeps working there for
at most ``ttl`` seconds. At most ``MAX_ENTRIES`` tokens (cleared when full).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class VerifiedTokens(Generic[T]):
    """``verify(token)`` remembered by ``hash_of(token)`` for ``ttl`` seconds (0 disables it)."""

    MAX_ENTRIES = 4096

    def __init__(self, ttl: float, verify: Callable[[str], T],
                 hash_of: Callable[[str], str]) -> None:
        self.ttl = ttl
        self.verify = verify
        self.hash_of = hash_of
        self._entries: dict[str, tuple[float, T]] = {}
        self._lock = threading.Lock()

    def principal(self, token: str) -> T:
        """What the token stands for; ``verify`` (which raises for a bad token) only on a miss."""
        key = self.hash_of(token.strip())
        now = time.monotonic()
        hit = self._entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = self.verify(token)
        if self.ttl > 0:
            with self._lock:
                if len(self._entries) >= self.MAX_ENTRIES:
                    self._entries.clear()
                self._entries[key] = (now + self.ttl, value)
        return value

    def forget(self, token_hash: str) -> None:
        with self._lock:
            self._entries.pop(token_hash, None)

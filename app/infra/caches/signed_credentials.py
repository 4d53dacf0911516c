"""Signed Open Badges 3.0 credentials (VC-JWT) kept per award version: a fetch signs once.

An entry's key is (database, signing kid, sha256 of the exact payload bytes): a
credential is kept per *version* of its award — any change of what it says
(title, dates, issuer settings, a new signing key) is a new key, so an entry can
never answer for content it was not signed over.

Invalidation: none is needed, since entries are addressed by their content.
Staleness bound: none — a kept token is byte-for-byte what signing the same
payload with the same key would give now. Whether an award may be shown at all
(shared, not revoked) is decided from the database on every request before this
cache is asked, so an unshare or a revocation is seen at once; a revocation is
also visible to verifiers through the status list, never through this cache.
At most ``capacity`` tokens, least recently used dropped first.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable


class SignedCredentials:
    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._tokens: OrderedDict[tuple[str, str, bytes], str] = OrderedDict()
        self._lock = threading.Lock()
        self.signed = 0  # how many tokens were made (tests read it)

    def get(self, bind: str, kid: str, payload: bytes, sign: Callable[[bytes], str]) -> str:
        """The token for ``payload``: kept, or ``sign(payload)`` kept from now on."""
        key = (bind, kid, hashlib.sha256(payload).digest())
        with self._lock:
            token = self._tokens.get(key)
            if token is not None:
                self._tokens.move_to_end(key)
                return token
        token = sign(payload)
        with self._lock:
            self.signed += 1
            self._tokens[key] = token
            if len(self._tokens) > self.capacity:
                self._tokens.popitem(last=False)
        return token

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()


signed_credentials = SignedCredentials()

"""Badge art as it travels inline in emails: the small PNG, base64-encoded, per badge art.

Every email about a badge carries the same picture, so the relay makes it (decode the
badge's PNG, scale it down, re-encode, base64) once per art and process instead of per
email.

Invalidation: none is needed, because the key is the art itself (the badge's slug and
its image description as JSON): a badge whose image changes asks for another key.
Staleness bound: none. At most ``capacity`` entries (cleared when full: a miss costs
one resize).
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable

ArtKey = tuple[str, str]  # (slug, image description as JSON)


class EmailArt:
    """Base64 lines of each art's email PNG, built by ``build(slug, image_json)`` once."""

    def __init__(self, build: Callable[[str, str], bytes], capacity: int = 512) -> None:
        self.build = build
        self.capacity = capacity
        self._kept: dict[ArtKey, str] = {}
        self._lock = threading.Lock()

    def base64(self, slug: str, image_json: str) -> str:
        """The art's PNG as base64 in 76-character lines (MIME's form), made once."""
        key = (slug, image_json)
        found = self._kept.get(key)
        if found is None:
            found = base64.encodebytes(self.build(slug, image_json)).decode("ascii")
            with self._lock:
                if len(self._kept) >= self.capacity:
                    self._kept = {}
                self._kept[key] = found
        return found

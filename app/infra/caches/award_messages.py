"""Encoded award messages kept per award version: the list RPC then reads only
``(id, public)`` pairs from the database.

What an award shows (id, learner, type, key, title, description, time,
metadata) never changes after it is stored, except whether its learner shares
it (``public``, and the Open Badges links that follow from it); revocation only
hides it, and which awards a page shows is decided by the query on every call.
So a message is kept per ``(id, public)``: sharing or unsharing makes the next
page ask for the other key, which the same query just read, and the message
built for it. A message built once answers every later page that lists that
award in that state, sparing the row decoding and message building (most of a
page's Python).

Each award is kept encoded, as a one-award ``ListAchievementsResponse``: the
wire form of a message is the concatenation of its fields, and a repeated
field's entries add up, so a page is the join of its awards' bytes parsed
once — half the cost of copying kept messages into a new response.

Invalidation: none is needed, because what an entry holds never changes for its
key (a share or unshare changes the key, read from the database on every page;
revocation hides an award through the query, never through this cache).
Staleness bound: none. At most ``capacity`` entries (cleared when full).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

AwardVersion = tuple[int, bool]  # (award id, shared)


class AwardMessages:
    """At most ``capacity`` award versions as ``encode(row)`` bytes (cleared when full:
    cheap, and misses are one query)."""

    def __init__(self, load: Callable[[Sequence[int]], Iterable[Any]],
                 encode: Callable[[Any], bytes], capacity: int = 20_000) -> None:
        self.load = load
        self.encode = encode
        self.capacity = capacity
        self._encoded: dict[AwardVersion, bytes] = {}
        self._lock = threading.Lock()

    def encoded(self, versions: Sequence[AwardVersion]) -> list[bytes]:
        """The encoded awards in this order (rows loaded only for versions not kept yet).

        A row loaded may already be in another state than the page read (a share
        in between): it is kept under the state it was built from."""
        cached = self._encoded
        missing = [award_id for award_id, public in versions if (award_id, public) not in cached]
        if missing:
            built = {(row.id, bool(row.public)): self.encode(row) for row in self.load(missing)}
            with self._lock:
                if len(self._encoded) + len(built) > self.capacity:
                    self._encoded = {}
                self._encoded.update(built)
            cached = {**cached, **built}
        return [cached.get(version) or self._fresh(version) for version in versions]

    def _fresh(self, version: AwardVersion) -> bytes:
        """The row changed state between the page's read and its load: show it as loaded."""
        rows = list(self.load([version[0]]))
        return self.encode(rows[0]) if rows else b""

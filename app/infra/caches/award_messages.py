"""Encoded award messages kept by award id: the list RPC then reads only ids from the database.

What an award shows (id, learner, type, key, title, description, time,
metadata) never changes after it is stored; revocation only hides it, and
which awards a page shows is decided by the query on every call. So a
message built once can answer every later page that lists that award,
sparing the row decoding and message building (most of a page's Python).

Each award is kept encoded, as a one-award ``ListAchievementsResponse``: the
wire form of a message is the concatenation of its fields, and a repeated
field's entries add up, so a page is the join of its awards' bytes parsed
once — half the cost of copying kept messages into a new response.

Invalidation: none is needed, because what an entry holds never changes once the
award is stored (revocation hides an award through the id query, never through
this cache). Staleness bound: none. At most ``capacity`` awards (cleared when full).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any


class AwardMessages:
    """At most ``capacity`` awards as ``encode(row)`` bytes (cleared when full: cheap, and
    misses are one query)."""

    def __init__(self, load: Callable[[Sequence[int]], Iterable[Any]],
                 encode: Callable[[Any], bytes], capacity: int = 20_000) -> None:
        self.load = load
        self.encode = encode
        self.capacity = capacity
        self._encoded: dict[int, bytes] = {}
        self._lock = threading.Lock()

    def encoded(self, ids: Sequence[int]) -> list[bytes]:
        """The encoded awards in this order (rows loaded only for ids not kept yet)."""
        cached = self._encoded
        missing = [award_id for award_id in ids if award_id not in cached]
        if missing:
            built = {row.id: self.encode(row) for row in self.load(missing)}
            with self._lock:
                if len(self._encoded) + len(built) > self.capacity:
                    self._encoded = {}
                self._encoded.update(built)
            cached = {**cached, **built}
        return [cached[award_id] for award_id in ids]

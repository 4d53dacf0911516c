"""Award messages kept by award id: the list RPC then reads only ids from the database.

What an award shows (id, learner, type, key, title, description, time,
metadata) never changes after it is stored; revocation only hides it, and
which awards a page shows is decided by the query on every call. So a
message built once can answer every later page that lists that award,
sparing the row decoding and message building (most of a page's Python).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from app.achievements.awards import award_as_dict
from app.grpc import convert
from app.grpc.generated.achievements.v1 import achievements_pb2 as pb


class AwardMessages:
    """At most ``capacity`` messages (cleared when full: cheap, and misses are one query)."""

    def __init__(self, load: Callable[[Sequence[int]], Iterable[Any]],
                 capacity: int = 20_000) -> None:
        self.load = load
        self.capacity = capacity
        self._messages: dict[int, pb.Achievement] = {}
        self._lock = threading.Lock()

    def messages(self, ids: Sequence[int]) -> list[pb.Achievement]:
        """The messages of these awards, in this order (rows fetched only for unseen ids)."""
        cached = self._messages
        missing = [award_id for award_id in ids if award_id not in cached]
        if missing:
            built = {row.id: convert.achievement(award_as_dict(row)) for row in self.load(missing)}
            with self._lock:
                if len(self._messages) + len(built) > self.capacity:
                    self._messages = {}
                self._messages.update(built)
            cached = {**cached, **built}
        return [cached[award_id] for award_id in ids]

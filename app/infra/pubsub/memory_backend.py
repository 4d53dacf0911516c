"""In-process pub/sub for the embedded default: publishing dispatches directly.

Only listeners in the same process hear it, which is why the embedded mode
runs one web process (``gunicorn -w 1``) with eager tasks. Awards made by
another process on the same SQLite file (the demo's gRPC server) are found by
readers polling the database every ``poll_seconds``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.infra.pubsub.hub import Hub


class MemoryBackend:
    poll_seconds: float | None = 2.0

    def __init__(self) -> None:
        self._hub: Hub | None = None

    def start(self, hub: Hub) -> None:
        self._hub = hub

    def wait_ready(self, timeout: float) -> bool:
        return True

    def publish(self, user_id: int, message: dict[str, Any]) -> None:
        if self._hub is not None:
            self._hub.dispatch(user_id, message)

    def publish_many(self, messages: Sequence[tuple[int, dict[str, Any]]]) -> None:
        for user_id, message in messages:
            self.publish(user_id, message)

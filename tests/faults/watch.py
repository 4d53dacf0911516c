"""A gRPC WatchAchievements client in a thread: disconnect on purpose, resume with after_id."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import grpc

from app.grpc.generated.achievements.v1 import achievements_pb2 as pb
from app.grpc.generated.achievements.v1 import achievements_pb2_grpc as pb_grpc
from tests.support.services import wait_for


class WatchClient:
    """Same surface as ``harness.SSEClient``: ``received``, ``keys``, ``has``, resume by id."""

    def __init__(self, address: str, token: str, user_id: int, everyone: bool = False) -> None:
        self.channel = grpc.insecure_channel(address)
        self.stub = pb_grpc.AchievementServiceStub(self.channel)
        self.metadata = (("authorization", f"Bearer {token}"),)
        self.user_id = user_id
        self.everyone = everyone
        self.received: list[dict[str, Any]] = []
        self.resumed_from: list[int] = []
        self.live = threading.Event()
        self._call: Any = None
        self._thread: threading.Thread | None = None

    @property
    def last_id(self) -> int:
        return self.received[-1]["id"] if self.received else 0

    def connect(self) -> WatchClient:
        self.live.clear()
        self.resumed_from.append(self.last_id)
        request = pb.WatchAchievementsRequest(user_id=self.user_id, after_id=self.last_id,
                                              all_learners=self.everyone)
        self._call = self.stub.WatchAchievements(request, metadata=self.metadata)
        self._thread = threading.Thread(target=self._read, args=(self._call,), daemon=True)
        self._thread.start()
        wait_for(self.live.is_set, timeout=10, what="watch stream live")
        return self

    resume = connect

    def disconnect(self) -> None:
        if self._call is not None:
            self._call.cancel()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def close(self) -> None:
        self.disconnect()
        self.channel.close()

    def keys(self) -> Counter[str]:
        return Counter(award["dedupe_key"] for award in self.received)

    def has(self, keys: set[str]) -> bool:
        return set(self.keys()) >= keys

    def _read(self, call: Any) -> None:
        try:
            for message in call:
                if message.HasField("heartbeat"):
                    self.live.set()
                elif message.HasField("achievement"):
                    award = message.achievement
                    self.received.append({"id": award.id, "dedupe_key": award.dedupe_key})
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.CANCELLED:
                raise

"""Client-side helpers for gRPC tests and benchmarks: auth metadata, health, stream reading."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from app.grpc.generated.achievements.v1 import achievements_pb2 as pb
from tests.support.services import free_port

__all__ = ["FAST_RECONNECT", "bearer", "free_port", "next_awards", "serving"]

Metadata = tuple[tuple[str, str], ...]

# A server process may take a while to start on a loaded machine; without these the channel's
# reconnect backoff (1 s growing to 120 s) would see "SERVING" far later than it happened.
FAST_RECONNECT = (("grpc.initial_reconnect_backoff_ms", 100),
                  ("grpc.max_reconnect_backoff_ms", 500), ("grpc.min_reconnect_backoff_ms", 100))


def bearer(token: str) -> Metadata:
    return (("authorization", f"Bearer {token}"),)


def serving(channel: grpc.Channel, service: str = "") -> bool:
    """True once the health service answers SERVING (False on any error)."""
    stub = health_pb2_grpc.HealthStub(channel)
    try:
        reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=2)
    except grpc.RpcError:
        return False
    return reply.status == health_pb2.HealthCheckResponse.SERVING


def next_awards(stream: Iterator[pb.WatchAchievementsResponse],
                count: int) -> list[pb.Achievement]:
    """The next ``count`` awards of a watch stream, skipping heartbeats."""
    received: list[pb.Achievement] = []
    while len(received) < count:
        message = next(stream)
        if message.WhichOneof("event") == "achievement":
            received.append(message.achievement)
    return received

"""A real gRPC server on a localhost port over the embedded app, and clients for it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest
from flask import Flask

from app.grpc.generated.achievements.v1 import achievements_pb2 as pb
from app.grpc.generated.achievements.v1 import achievements_pb2_grpc as pb_grpc
from app.grpc.server import AchievementsServer
from app.services.accounts import create_token
from tests.support.grpc_client import Metadata, bearer, serving
from tests.support.services import wait_for


@pytest.fixture
def grpc_server(app: Flask) -> Iterator[AchievementsServer]:
    settings = app.config["ACHIEVEMENTS_CONFIG"]
    settings.GRPC_HEARTBEAT_SECONDS = 0.5
    settings.GRPC_MAX_STREAMS = 4
    settings.GRPC_TOKEN_CACHE_SECONDS = 0.0  # every call checks the database (see test_auth)
    server = AchievementsServer(app, host="127.0.0.1", port=0).start()
    yield server
    server.stop(grace=1.0)


@pytest.fixture
def channel(grpc_server: AchievementsServer) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(grpc_server.address) as ch:
        wait_for(lambda: serving(ch), timeout=10, what="health SERVING")
        yield ch


@pytest.fixture
def stub(channel: grpc.Channel) -> pb_grpc.AchievementServiceStub:
    return pb_grpc.AchievementServiceStub(channel)


@pytest.fixture
def token_metadata(app: Flask) -> Callable[..., Metadata]:
    """Metadata carrying a new service token with the given scopes."""

    def make(*scopes: str) -> Metadata:
        return bearer(create_token("grpc-test", list(scopes))[1])

    return make


@pytest.fixture
def service(token_metadata: Callable[..., Metadata]) -> Metadata:
    """An LMS-like caller: progress:write and achievements:read."""
    return token_metadata("progress:write", "achievements:read")


def complete(stub: pb_grpc.AchievementServiceStub, metadata: Metadata, user_id: int,
             module: str, request_id: str | None = None, **extra: Any) -> pb.RecordProgressResponse:
    """Record a module completion (eager tasks: the awards exist when this returns)."""
    request = pb.RecordProgressRequest(
        request_id=f"{user_id}-{module}" if request_id is None else request_id, user_id=user_id,
        kind=pb.PROGRESS_KIND_MODULE_COMPLETED, module=module, **extra)
    return stub.RecordProgress(request, metadata=metadata, timeout=10)


def rpc_error(call: Callable[[], Any]) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        call()
    return raised.value


def code_of(call: Callable[[], Any]) -> grpc.StatusCode:
    return rpc_error(call).code()


def field_errors(error: grpc.RpcError) -> dict[str, list[str]]:
    return json.loads(dict(error.trailing_metadata())["x-field-errors"])
